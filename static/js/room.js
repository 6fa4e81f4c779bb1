// The video room client. It follows rtc/README.md "What the browser client must do":
// one RTCPeerConnection to the server (max-bundle), one sending audio and one sending video
// m-line, N pre-created recvonly slots mapped to participants by the server's "slots"
// messages, VP8 only, a new peer connection under the same seat after a network drop.
// Chat text and names are user input: always set as textContent, never as HTML.
"use strict";
(() => {
  const root = document.getElementById("room");
  if (!root) return;
  const t = JSON.parse(root.dataset.i18n || "{}");
  const me = root.dataset.me;
  const isMediator = root.dataset.role === "mediator";
  const $ = (id) => document.getElementById(id);
  const RECONNECT_MAX_MS = 15000;
  const FINAL_CODES = [1000, 4401, 4403, 4404, 4409, 4410];

  const state = {
    ws: null, pc: null, welcome: null, admitted: false, done: false,
    local: new MediaStream(), mic: null, cam: null, screen: null,
    audioSender: null, videoSender: null,
    slots: [], participants: [], caucus: null, recording: false, quality: {},
    offers: 0, answers: 0, pending: [], offered: false,
    retries: 0, selfMuted: false, camOff: false, forcedMute: false,
    timers: { ping: 0, stats: 0, disconnected: 0, reconnect: 0 },
    lastStats: null,
  };
  // For support and the browser test: window.odrRoom.pc.getStats().
  window.odrRoom = state;

  // Status and notices.

  function status(text) {
    $("room-status").textContent = text;
  }

  function alertText(text) {
    const box = $("room-alert");
    box.textContent = text;
    box.hidden = !text;
  }

  // Local media.

  async function openMedia() {
    let saved = {};
    try {
      saved = JSON.parse(localStorage.getItem("odr.devices") || "{}");
    } catch {
      saved = {};
    }
    const pick = (id) => (id ? { deviceId: { ideal: id } } : true);
    for (const kind of ["audio", "video"]) {
      try {
        const stream = await navigator.mediaDevices.getUserMedia({ [kind]: pick(saved[kind]) });
        stream.getTracks().forEach((track) => state.local.addTrack(track));
      } catch {
        // No such device or no permission: join without it (an inactive m-line).
      }
    }
    state.mic = state.local.getAudioTracks()[0] || null;
    state.cam = state.local.getVideoTracks()[0] || null;
    if (!state.mic && !state.cam) alertText(t.no_media);
    $("room-self").srcObject = state.cam ? new MediaStream([state.cam]) : null;
    applyMicState();
  }

  function applyMicState() {
    if (state.mic) state.mic.enabled = !(state.selfMuted || state.forcedMute);
    $("room-mic").textContent = state.selfMuted ? t.mic_on : t.mic_off;
    $("room-muted").hidden = !state.forcedMute;
  }

  // Signaling.

  function send(message) {
    if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(message));
  }

  async function fetchPass() {
    const response = await fetch(root.dataset.passUrl, {
      method: "POST", credentials: "same-origin",
      headers: { "x-csrftoken": root.dataset.csrf },
    });
    const body = await response.json().catch(() => ({}));
    if (response.ok) return body.url;
    if (body.join) window.location.assign(body.join);
    const error = new Error(body.error || response.statusText);
    error.final = response.status !== 429 && response.status < 500;
    throw error;
  }

  async function connect() {
    clearTimeout(state.timers.reconnect);
    status(t.connecting);
    let url;
    try {
      url = await fetchPass();
    } catch (error) {
      if (error.final) return finish(error.message);
      return scheduleReconnect();
    }
    const scheme = window.location.protocol === "https:" ? "wss:" : "ws:";
    const ws = new WebSocket(`${scheme}//${window.location.host}${url}`);
    state.ws = ws;
    // Answers come on the socket their offer went out on.
    state.offers = 0;
    state.answers = 0;
    ws.onmessage = (event) => {
      if (ws !== state.ws) return;
      let message;
      try {
        message = JSON.parse(event.data);
      } catch {
        return;
      }
      handle(message).catch((error) => console.error("room message", message.type, error));
    };
    ws.onclose = (event) => {
      if (ws !== state.ws) return;
      clearInterval(state.timers.ping);
      closePeer();
      if (FINAL_CODES.includes(event.code)) {
        // The close reason is English, for support; people read the translated text.
        if (event.reason) console.info("room closed", event.code, event.reason);
        return finish(t[`closed_${event.code}`] || `${t.closed_other} (${event.reason})`);
      }
      scheduleReconnect();
    };
    ws.onopen = () => {
      clearInterval(state.timers.ping);
      state.timers.ping = setInterval(() => send({ type: "ping" }), 30000);
    };
  }

  function scheduleReconnect() {
    if (state.done) return;
    status(t.reconnecting);
    const delay = Math.min(RECONNECT_MAX_MS, 1000 * 2 ** state.retries) * (0.75 + Math.random() / 2);
    state.retries += 1;
    state.timers.reconnect = setTimeout(connect, delay);
  }

  function finish(text) {
    state.done = true;
    clearInterval(state.timers.ping);
    clearInterval(state.timers.stats);
    closePeer();
    state.local.getTracks().forEach((track) => track.stop());
    if (state.screen) state.screen.stop();
    status(text);
    alertText(text);
    $("room-waiting").hidden = true;
    $("room-caucus").hidden = true;
    root.querySelectorAll("button, input, select, textarea").forEach((el) => { el.disabled = true; });
    $("room-leave").disabled = false;
  }

  async function handle(message) {
    switch (message.type) {
      case "welcome":
        state.welcome = message;
        state.admitted = message.admitted;
        state.retries = 0;
        $("room-waiting").hidden = message.admitted;
        status(t.connected_status);
        await buildPeer();
        break;
      case "answer":
        state.answers += 1;
        // Only the answer to the latest offer belongs to the current peer connection.
        if (state.pc && state.answers === state.offers) {
          await state.pc.setRemoteDescription({ type: "answer", sdp: message.sdp });
          showSlots();
        }
        break;
      case "slots":
        state.slots = message.slots;
        showSlots();
        break;
      case "participants":
        state.participants = message.participants;
        showPeople();
        showSlots();
        break;
      case "quality":
        // The server's view of each seat it lets us see; a seat it leaves out has no level.
        state.quality = Object.fromEntries(message.participants.map((q) => [q.participant, q]));
        showQuality();
        break;
      case "admission":
        state.admitted = message.admitted;
        $("room-waiting").hidden = message.admitted;
        break;
      case "muted":
        state.forcedMute = message.muted;
        applyMicState();
        break;
      case "caucus":
        state.caucus = message.active ? message.side : null;
        $("room-caucus").hidden = message.included || !message.active;
        showCaucus();
        break;
      case "recording":
        state.recording = message.active;
        $("room-recording").hidden = !message.active;
        if ($("room-record")) $("room-record").textContent = message.active ? t.recording_on : t.recording_off;
        break;
      case "chat":
        addChat(message);
        break;
      case "error":
        alertText(`${t.error} ${message.reason}`);
        break;
      default:
        break;
    }
  }

  // The peer connection.

  function vp8Only(transceiver) {
    if (!transceiver.setCodecPreferences || !RTCRtpReceiver.getCapabilities) return;
    const codecs = RTCRtpReceiver.getCapabilities("video").codecs;
    const vp8 = codecs.filter((c) => c.mimeType.toLowerCase() === "video/vp8");
    const rtx = codecs.filter((c) => c.mimeType.toLowerCase() === "video/rtx");
    try {
      transceiver.setCodecPreferences([...vp8, ...rtx]);
    } catch {
      transceiver.setCodecPreferences(vp8);
    }
  }

  function closePeer() {
    clearTimeout(state.timers.disconnected);
    if (state.pc) state.pc.close();
    state.pc = null;
    state.audioSender = state.videoSender = null;
  }

  async function buildPeer() {
    closePeer();
    const pc = new RTCPeerConnection({ iceServers: state.welcome.ice_servers, bundlePolicy: "max-bundle" });
    state.pc = pc;
    state.offered = false;
    state.pending = [];
    const outgoing = state.screen || state.cam;
    const audio = state.mic
      ? pc.addTransceiver(state.mic, { direction: "sendonly", streams: [state.local] })
      : pc.addTransceiver("audio", { direction: "inactive" });
    const video = outgoing
      ? pc.addTransceiver(outgoing, {
        direction: "sendonly", streams: [state.local],
        sendEncodings: [{ maxBitrate: 600_000, maxFramerate: 30 }],
      })
      : pc.addTransceiver("video", { direction: "inactive" });
    vp8Only(video);
    state.audioSender = audio.sender;
    state.videoSender = video.sender;
    const slots = state.welcome.max_slots;
    for (let i = 0; i < slots; i += 1) pc.addTransceiver("audio", { direction: "recvonly" });
    for (let i = 0; i < slots; i += 1) vp8Only(pc.addTransceiver("video", { direction: "recvonly" }));
    pc.onicecandidate = (event) => {
      const c = event.candidate;
      const message = c
        ? { type: "candidate", candidate: c.candidate, sdpMid: c.sdpMid, sdpMLineIndex: c.sdpMLineIndex }
        : { type: "candidate", candidate: "", sdpMid: null, sdpMLineIndex: null };
      // A candidate must follow its offer: the server drops candidates of no connection.
      if (state.offered) send(message);
      else state.pending.push(message);
    };
    pc.onconnectionstatechange = () => {
      if (pc !== state.pc) return;
      clearTimeout(state.timers.disconnected);
      if (pc.connectionState === "failed") {
        renewPeer();
      } else if (pc.connectionState === "disconnected") {
        state.timers.disconnected = setTimeout(() => {
          if (pc === state.pc && pc.connectionState === "disconnected") renewPeer();
        }, 5000);
      }
    };
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    if (pc !== state.pc) return;
    state.offers += 1;
    send({ type: "offer", sdp: pc.localDescription.sdp });
    state.offered = true;
    state.pending.splice(0).forEach(send);
  }

  // aiortc has no ICE restart: a new peer connection (new offer) under the same seat.
  function renewPeer() {
    if (!state.done && state.ws && state.ws.readyState === WebSocket.OPEN) {
      status(t.reconnecting);
      buildPeer().catch((error) => console.error("peer", error));
    }
  }

  // Remote tiles: one per receive slot.

  function tile(slot) {
    let figure = $(`room-slot-${slot}`);
    if (!figure) {
      figure = $("room-tile").content.firstElementChild.cloneNode(true);
      figure.id = `room-slot-${slot}`;
      $("room-tiles").append(figure);
    }
    return figure;
  }

  function setTrack(element, track) {
    const current = element.srcObject && element.srcObject.getTracks()[0];
    if (current === track) return;
    element.srcObject = track ? new MediaStream([track]) : null;
    if (track) {
      element.play().catch(() => {
        if (element.tagName === "AUDIO") $("room-sound").hidden = false;
      });
    }
  }

  function showSlots() {
    const pc = state.pc;
    if (!pc) return;
    const byMid = new Map(pc.getTransceivers().filter((x) => x.mid !== null).map((x) => [x.mid, x]));
    for (const info of state.slots) {
      const figure = tile(info.slot);
      const audio = byMid.get(info.audio_mid);
      const video = byMid.get(info.video_mid);
      if (!info.participant || !audio || !video) {
        figure.hidden = true;
        setTrack(figure.querySelector("video"), null);
        setTrack(figure.querySelector("audio"), null);
        continue;
      }
      const person = state.participants.find((p) => p.participant === info.participant);
      figure.querySelector(".room-name").textContent = person ? person.name : "";
      const notes = [];
      if (!info.audio) notes.push(t.muted);
      if (!info.video) notes.push(t.camera_off);
      figure.querySelector(".room-state").textContent = notes.join(" · ");
      setTrack(figure.querySelector("video"), video.receiver.track);
      setTrack(figure.querySelector("audio"), audio.receiver.track);
      figure.hidden = false;
    }
  }

  // Participants and the mediator's controls.

  function button(label, classes, onClick) {
    const b = document.createElement("button");
    b.type = "button";
    b.className = `btn btn-sm ${classes}`;
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  function personLine(p) {
    const li = document.createElement("li");
    li.className = "d-flex flex-wrap align-items-center gap-1 mb-1";
    const name = document.createElement("span");
    name.className = "me-auto";
    const role = (t.roles && t.roles[p.role]) || p.role;
    const side = p.side && t.sides ? ` · ${t.sides[p.side] || p.side}` : "";
    const flags = [p.connected ? t.connected : t.offline];
    if (p.muted) flags.push(t.muted);
    name.textContent = `${p.name}${p.participant === me ? ` (${t.you})` : ""} · ${role}${side} · ${flags.join(", ")}`;
    li.dataset.participant = p.participant;
    const quality = document.createElement("span");
    quality.className = "room-person-quality small";
    li.append(name, quality);
    setQuality(quality, state.quality[p.participant]);
    return li;
  }

  // A text label, not only a colour; the figures go in the tooltip.
  function setQuality(element, q) {
    if (!q) {
      element.className = "room-person-quality small";
      element.textContent = "";
      element.removeAttribute("title");
      return;
    }
    element.className = `room-person-quality small room-quality-${q.level}`;
    element.textContent = `${t.link} ${t[`quality_${q.level}`]}`;
    const figures = [`${t.loss} ${(q.loss * 100).toFixed(1)} %`, `${t.jitter} ${Math.round(q.jitter_ms)} ms`];
    if (q.rtt_ms !== null) figures.unshift(`${t.rtt} ${Math.round(q.rtt_ms)} ms`);
    element.title = figures.join(" · ");
  }

  // Updated in place: rebuilding the list every report would steal the focus from its buttons.
  function showQuality() {
    for (const li of $("room-people").children) {
      const span = li.querySelector(".room-person-quality");
      if (span) setQuality(span, state.quality[li.dataset.participant]);
    }
  }

  function showPeople() {
    const people = $("room-people");
    const waiting = $("room-waiting-list");
    people.replaceChildren();
    if (waiting) waiting.replaceChildren();
    for (const p of state.participants) {
      const li = personLine(p);
      if (!p.admitted) {
        if (waiting) {
          li.append(button(t.admit, "btn-primary", () => send({ type: "admit", participant: p.participant })));
          waiting.append(li);
        }
        continue;
      }
      if (isMediator && p.participant !== me && p.role !== "mediator") {
        li.append(button(p.muted ? t.unmute : t.mute, "btn-outline-secondary",
          () => send({ type: "mute", participant: p.participant, muted: !p.muted })));
        li.append(button(t.remove, "btn-outline-danger", () => {
          if (window.confirm(t.remove_confirm)) send({ type: "remove", participant: p.participant });
        }));
      }
      people.append(li);
    }
    if (waiting) $("room-nobody-waiting").hidden = waiting.children.length > 0;
  }

  function showCaucus() {
    if (!isMediator) return;
    const active = state.caucus !== null;
    $("room-caucus-end").hidden = !active;
    $("room-note").hidden = !active;
    $("room-caucus-state").textContent = active
      ? `${t.caucus_with} ${(t.sides && t.sides[state.caucus]) || state.caucus}` : "";
    root.querySelectorAll("[data-caucus]").forEach((b) => {
      b.classList.toggle("active", b.dataset.caucus === state.caucus);
    });
  }

  // Chat and shown documents.

  const DOCUMENT = /\s\[evidence:(\d+)\]$/;

  function addChat(message) {
    const li = document.createElement("li");
    const who = document.createElement("span");
    who.className = "fw-semibold";
    const at = new Date(message.at);
    who.textContent = `${message.name} ${Number.isNaN(at.getTime()) ? "" : at.toLocaleTimeString()}: `;
    li.append(who);
    if (message.private) {
      const badge = document.createElement("span");
      badge.className = "badge text-bg-warning me-1";
      badge.textContent = t.private;
      li.append(badge);
    }
    const body = document.createElement("span");
    const sender = state.participants.find((p) => p.participant === message.participant);
    const shown = DOCUMENT.exec(message.text);
    if (shown && sender && sender.role === "mediator") {
      body.textContent = `${message.text.slice(0, shown.index)} `;
      if (root.dataset.caseViewer === "1") {
        const link = document.createElement("a");
        link.href = `${root.dataset.evidenceBase}${shown[1]}`;
        link.target = "_blank";
        link.rel = "noopener";
        link.textContent = t.open_document;
        body.append(link);
      } else {
        body.append(document.createTextNode(t.no_document_access));
      }
    } else {
      body.textContent = message.text;
    }
    li.append(body);
    const log = $("room-chat");
    log.append(li);
    log.scrollTop = log.scrollHeight;
  }

  // Requests to the portal (recording, caucus notes): form posts with the CSRF token.

  async function post(url, fields) {
    const body = new URLSearchParams({ csrftoken: root.dataset.csrf, ...fields });
    const response = await fetch(url, { method: "POST", body, credentials: "same-origin" });
    const data = await response.json().catch(() => ({}));
    if (!response.ok) throw new Error(data.error || response.statusText);
    return data;
  }

  // Connection quality of this browser's own link, from getStats.

  async function measure() {
    if (!state.pc || state.pc.connectionState !== "connected") {
      $("room-quality").textContent = "";
      return;
    }
    const report = await state.pc.getStats();
    let rtt = null;
    let lost = 0;
    let received = 0;
    report.forEach((s) => {
      if (s.type === "candidate-pair" && s.nominated && s.state === "succeeded") rtt = s.currentRoundTripTime;
      if (s.type === "inbound-rtp") {
        lost += s.packetsLost || 0;
        received += s.packetsReceived || 0;
      }
    });
    const last = state.lastStats || { lost: 0, received: 0 };
    state.lastStats = { lost, received };
    const dLost = Math.max(0, lost - last.lost);
    const dAll = Math.max(1, received - last.received + dLost);
    const loss = dLost / dAll;
    const level = loss > 0.08 || (rtt !== null && rtt > 0.6) ? "poor"
      : loss > 0.02 || (rtt !== null && rtt > 0.25) ? "fair" : "good";
    const q = $("room-quality");
    q.className = `small room-quality-${level}`;
    q.textContent = `${t.quality} ${t[`quality_${level}`]}`;
  }

  // Screen sharing (mediator): the same video sender, no renegotiation.

  function stopShare() {
    if (!state.screen) return;
    state.screen.stop();  // stop() does not fire "ended": this is the one way back
    state.screen = null;
    $("room-share").textContent = t.share;
    $("room-self").parentElement.classList.remove("room-sharing");
    $("room-self").srcObject = state.cam ? new MediaStream([state.cam]) : null;
    if (state.videoSender && state.videoSender.track) state.videoSender.replaceTrack(state.cam);
    else renewPeer();
  }

  async function toggleShare() {
    if (state.screen) {
      stopShare();
      return;
    }
    const display = await navigator.mediaDevices.getDisplayMedia({ video: true });
    state.screen = display.getVideoTracks()[0];
    // The browser's own "stop sharing" button ends the track.
    state.screen.addEventListener("ended", stopShare);
    $("room-share").textContent = t.stop_share;
    $("room-self").parentElement.classList.add("room-sharing");
    $("room-self").srcObject = new MediaStream([state.screen]);
    // Without a camera the video m-line is inactive: only a new offer can start sending.
    if (state.videoSender && state.videoSender.track) await state.videoSender.replaceTrack(state.screen);
    else renewPeer();
  }

  // Wiring.

  function wire() {
    $("room-mic").addEventListener("click", () => {
      state.selfMuted = !state.selfMuted;
      applyMicState();
    });
    $("room-cam").addEventListener("click", () => {
      state.camOff = !state.camOff;
      if (state.cam) state.cam.enabled = !state.camOff;
      $("room-cam").textContent = state.camOff ? t.cam_on : t.cam_off;
    });
    $("room-sound").addEventListener("click", () => {
      root.querySelectorAll(".room-tile audio").forEach((a) => a.play().catch(() => {}));
      $("room-sound").hidden = true;
    });
    $("room-leave").addEventListener("click", () => {
      state.done = true;
      send({ type: "leave" });
      window.location.assign(root.dataset.leaveUrl);
    });
    $("room-chat-form").addEventListener("submit", (event) => {
      event.preventDefault();
      const input = $("room-chat-text");
      const text = input.value.trim();
      if (text) send({ type: "chat", text });
      input.value = "";
    });
    if (!isMediator) return;
    $("room-end").addEventListener("click", () => {
      if (window.confirm(t.end_confirm)) send({ type: "end" });
    });
    root.querySelectorAll("[data-caucus]").forEach((b) => {
      b.addEventListener("click", () => send({ type: "caucus", side: b.dataset.caucus }));
    });
    $("room-caucus-end").addEventListener("click", () => send({ type: "caucus", side: null }));
    $("room-share").addEventListener("click", () => {
      toggleShare().catch((error) => alertText(`${t.error} ${error.message}`));
    });
    $("room-note").addEventListener("submit", (event) => {
      event.preventDefault();
      const text = $("room-note-text").value;
      post(root.dataset.notesUrl, { side: state.caucus || "", text }).then((note) => {
        const li = document.createElement("li");
        li.className = "border-start border-2 ps-2 mb-1 text-break room-pre";
        li.textContent = note.text;
        $("room-notes").append(li);
        $("room-note-text").value = "";
      }).catch((error) => alertText(`${t.error} ${error.message}`));
    });
    const record = $("room-record");
    if (record) {
      record.addEventListener("click", () => {
        post(root.dataset.recordingUrl, { action: state.recording ? "stop" : "start" })
          .catch((error) => alertText(`${t.error} ${error.message}`));
      });
    }
    const documentForm = $("room-document");
    if (documentForm) {
      documentForm.addEventListener("submit", (event) => {
        event.preventDefault();
        const select = $("room-document-id");
        const option = select.selectedOptions[0];
        if (option) send({ type: "chat", text: `${t.document} ${option.textContent} [evidence:${select.value}]` });
      });
    }
  }

  async function main() {
    if (!window.RTCPeerConnection || !navigator.mediaDevices) {
      status(t.closed_other);
      return;
    }
    wire();
    await openMedia();
    state.timers.stats = setInterval(() => measure().catch(() => {}), 5000);
    await connect();
  }

  main().catch((error) => console.error("room", error));
})();
