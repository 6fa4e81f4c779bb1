from __future__ import annotations

import pytest

from rtc.routing import Route, assign_slots, chat_recipients, group, routes
from rtc.seats import Role, Seat, Ticket


def seat(pid: str, role: Role = Role.PARTY, side: str | None = "applicant", *,
         admitted: bool = True, connected: bool = True, muted: bool = False,
         removed: bool = False) -> Seat:
    return Seat(pid, role, side, pid, admitted=admitted, muted=muted, removed=removed,
                connected=connected)


def pairs(found: frozenset[Route], kind: str = "video") -> set[tuple[str, str]]:
    return {(r.publisher, r.subscriber) for r in found if r.kind == kind}


def room() -> list[Seat]:
    return [seat("m", Role.MEDIATOR, None), seat("a"), seat("r1", side="respondent"),
            seat("r2", side="respondent")]


def test_everyone_reaches_everyone_else_outside_a_caucus() -> None:
    found = routes(room(), None)
    names = ["m", "a", "r1", "r2"]
    expected = {(p, s) for p in names for s in names if p != s}
    assert pairs(found, "video") == expected
    assert pairs(found, "audio") == expected


def test_caucus_splits_the_room_into_caucus_and_outside() -> None:
    found = routes(room(), "applicant")
    assert pairs(found) == {("m", "a"), ("a", "m"), ("r1", "r2"), ("r2", "r1")}
    assert pairs(found, "audio") == pairs(found)


def test_caucus_with_the_other_side() -> None:
    found = routes(room(), "respondent")
    assert pairs(found) == {("m", "r1"), ("r1", "m"), ("m", "r2"), ("r2", "m"),
                            ("r1", "r2"), ("r2", "r1")}


def test_every_mediator_is_in_the_caucus() -> None:
    seats = [*room(), seat("m2", Role.MEDIATOR, None)]
    assert ("m2", "a") in pairs(routes(seats, "applicant"))
    assert ("m2", "r1") not in pairs(routes(seats, "applicant"))


def test_muted_publisher_sends_video_but_no_audio() -> None:
    seats = room()
    seats[1].muted = True
    found = routes(seats, None)
    assert not any(p == "a" for p, _ in pairs(found, "audio"))
    assert ("a", "m") in pairs(found, "video")
    assert ("m", "a") in pairs(found, "audio")  # a still hears


@pytest.mark.parametrize("change", [{"admitted": False}, {"connected": False},
                                    {"removed": True}])
def test_waiting_absent_or_removed_seats_get_and_give_nothing(change: dict[str, bool]) -> None:
    seats = room()
    for key, value in change.items():
        setattr(seats[1], key, value)
    found = routes(seats, None)
    assert not any("a" in (r.publisher, r.subscriber) for r in found)
    assert ("m", "r1") in pairs(found)


def test_observer_receives_but_never_publishes() -> None:
    seats = [*room(), seat("o", Role.OBSERVER, None)]
    found = routes(seats, None)
    assert ("m", "o") in pairs(found)
    assert not any(p == "o" for p, _ in pairs(found))
    assert ("m", "o") not in pairs(routes(seats, "applicant"))


def test_group() -> None:
    seats = room()
    assert {group(s, None) for s in seats} == {"room"}
    assert [group(s, "applicant") for s in seats] == ["caucus", "caucus", "outside", "outside"]


def test_chat_recipients_follow_the_caucus() -> None:
    seats = [*room(), seat("w", admitted=False)]
    assert chat_recipients(seats[0], seats, None) == ["m", "a", "r1", "r2"]
    assert chat_recipients(seats[1], seats, "applicant") == ["m", "a"]
    assert chat_recipients(seats[2], seats, "applicant") == ["r1", "r2"]


def test_slots_are_stable_and_bounded() -> None:
    assert assign_slots([], ["a", "b"], 3) == ("a", "b", None)
    # b stays where it was when a leaves; a newcomer takes the first free slot.
    assert assign_slots(("a", "b", None), ["b", "c"], 3) == ("c", "b", None)
    assert assign_slots(("a", "b"), ["a", "b", "c", "d"], 3) == ("a", "b", "c")
    assert assign_slots(("a", "b", "c"), [], 2) == (None, None)


def test_a_party_ticket_needs_a_side() -> None:
    with pytest.raises(ValueError, match="side"):
        Ticket("r", "p", Role.PARTY)
