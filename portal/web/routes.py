from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from portal.config import PROJECT_ROOT, Settings
from portal.web.views import account, admin, auth, cases, home


def routes(settings: Settings) -> list[BaseRoute]:
    vendor = settings.static_vendor_dir
    return [
        Route("/", home.home, name="home"),
        Route("/healthz", home.healthz, name="healthz"),
        Route("/login", auth.login, methods=["GET", "POST"], name="login"),
        Route("/logout", auth.logout, methods=["POST"], name="logout"),
        Route("/register", auth.register, methods=["GET", "POST"], name="register"),
        Route("/lang/{code}", auth.set_language, name="set_language"),
        Route("/cases", cases.case_list, name="case_list"),
        Route("/cases/new", cases.case_new, methods=["GET", "POST"], name="case_new"),
        Route("/cases/{number}", cases.case_detail, name="case_detail"),
        Route("/cases/{number}/act", cases.case_act, methods=["POST"], name="case_act"),
        Route("/notifications", account.notification_list, name="notifications"),
        Route("/notifications/read", account.notifications_read, methods=["POST"],
              name="notifications_read"),
        Route("/dev/sms", account.sms_outbox, name="sms_outbox"),
        Route("/admin/users", admin.users, name="admin_users"),
        Route("/admin/users/new", admin.user_new, methods=["GET", "POST"], name="admin_user_new"),
        Route("/admin/users/{user_id:int}", admin.user_update, methods=["POST"],
              name="admin_user_update"),
        Route("/admin/audit", admin.audit_log, name="admin_audit"),
        Mount("/static/vendor/bootstrap",
              StaticFiles(directory=vendor / "bootstrap" / "dist", check_dir=False),
              name="bootstrap"),
        Mount("/static", StaticFiles(directory=PROJECT_ROOT / "static"), name="static"),
    ]
