"""The application factory: blueprints, listeners, error handling and the OpenAPI document."""

from __future__ import annotations

import logging

from sanic import Request, Sanic
from sanic_ext import openapi
from sanic_ext.extensions.openapi.builders import SpecificationBuilder
from tortoise import Tortoise

from app import background  # noqa: F401  registers every feature's background work before the jobs start
from app.admin import apidocs
from app.admin.admin_routes import bp as orders_admin_bp
from app.admin.routes import bp as admin_console_bp
from app.auth import service as auth_service
from app.auth.routes import bp as auth_bp
from app.catalog import cache as catalog_cache
from app.catalog.admin_routes import bp as catalog_admin_bp
from app.catalog.routes import bp as catalog_bp
from app.checkout.routes import bp as checkout_bp
from app.core import cache, db, disconnects, http, logs, versioned
from app.core.errors import AppError, install_help_lookup
from app.core.settings import Settings
from app.deps import Deps
from app.feedback.admin_routes import bp as feedback_admin_bp
from app.feedback.routes import bp as feedback_bp
from app.help import service as help_service
from app.help.admin_routes import bp as help_admin_bp
from app.help.routes import bp as help_bp
from app.jobs import runner as jobs
from app.metrics import routes as metrics_routes
from app.notify.admin_routes import bp as notify_admin_bp
from app.notify.routes import bp as notify_bp
from app.operators.admin_routes import bp as operators_bp
from app.orders import history as order_history
from app.orders.routes import bp as orders_bp
from app.preferences import cache as preferences_cache
from app.preferences.routes import bp as preferences_bp
from app.promotions import cache as promotions_cache, versions as promotion_versions
from app.promotions.admin_routes import bp as promotions_bp
from app.recommendations.routes import bp as recommendations_bp
from app.reconciliation.admin_routes import bp as reconciliation_bp
from app.refunds.admin_routes import bp as refunds_bp
from app.stats import counters as stats_counters
from app.stats.admin_routes import bp as stats_bp
from app.risk.admin_routes import bp as risk_admin_bp
from app.wallet.admin_routes import bp as wallet_admin_bp
from app.wallet.routes import bp as wallet_bp

log = logging.getLogger("yijian.app")

MAX_BODY_BYTES = 1024 * 1024  # DESIGN.md §2: request bodies are limited to 1 MiB


def create_app(settings: Settings, *, name: str = "yijian") -> Sanic:
    """Build the app for `settings` (whose URLs are already resolved with `Settings.with_listen_address`)."""
    logs.configure(settings.log_level)
    app = Sanic(name, configure_logging=False)
    app.config.update(
        REQUEST_MAX_SIZE=MAX_BODY_BYTES,
        FALLBACK_ERROR_FORMAT="json",
        OAS_UI_DEFAULT="swagger",
        OAS_URL_PREFIX="/docs",
        OAS_UI_REDOC=False,
        OAS_AUTODOC=True,
        API_TITLE="yijian (一键) API",
        API_VERSION="1",
        API_DESCRIPTION="One-tap checkout backend for WeChat mini-programs. Contract: DESIGN.md.",
        CORS=False,
        HEALTH=False,
    )
    app.config.update(apidocs.config())  # /docs from this server's own copy of Swagger UI (works offline)
    app.ctx.settings = settings
    app.ext.openapi.add_security_scheme("bearer", "http", scheme="bearer", bearer_format="JWT")
    http.install(app)

    for bp in (auth_bp, preferences_bp, wallet_bp, operators_bp, catalog_admin_bp, catalog_bp, promotions_bp,
               wallet_admin_bp, checkout_bp, orders_bp, orders_admin_bp, notify_admin_bp, refunds_bp, notify_bp):
        app.blueprint(bp)
    app.blueprint(recommendations_bp)
    app.blueprint(reconciliation_bp)
    app.blueprint(stats_bp)
    for bp in (feedback_bp, feedback_admin_bp, help_bp, help_admin_bp, risk_admin_bp):  # after-sales and risk (§7)
        app.blueprint(bp)
    app.blueprint(admin_console_bp)
    apidocs.install(app)
    if settings.sandbox:
        from app.sandbox import create_sandbox_blueprint  # only in sandbox mode: live never loads the stand-in

        app.blueprint(create_sandbox_blueprint(settings.data_dir, settings.sandbox_time_factor))

    _add_service_routes(app)
    metrics_routes.install(app)
    http.drop_oauth2_redirect(app)
    disconnects.shield_handlers(app)

    @app.before_server_start
    async def _start(app: Sanic) -> None:
        await db.init_db(settings.database_url)
        app.ctx.deps = Deps.build(settings, cache.connect(settings.redis_url))
        restored = await auth_service.restore_revocations(app.ctx.deps)
        await promotion_versions.ensure_row()
        app.ctx.promotion_cache = promotions_cache.PromotionCache(app.ctx.deps.redis)
        app.ctx.promotion_cache.start()
        promotions_cache.install(app.ctx.promotion_cache)
        app.ctx.help_index = help_service.HelpIndex(app.ctx.deps.redis)
        await app.ctx.help_index.load()
        app.ctx.help_index.start()
        install_help_lookup(app.ctx.help_index.lookup)  # error answers carry help_id (§2) from here on
        app.ctx.invalidations = versioned.Invalidations(app.ctx.deps.redis, (
            catalog_cache.products, preferences_cache.contexts, order_history.histories))
        app.ctx.invalidations.start()
        app.ctx.stats_tally = stats_counters.Tally(app.ctx.deps.redis)
        app.ctx.stats_tally.start()
        await jobs.start(app)
        log.info("started", extra={"fields": {
            "database": settings.database_url.split(":", 1)[0], "redis": "real" if settings.redis_url else "stand-in",
            "wechat_mode": settings.wechat_mode, "revocations_restored": restored,
        }})

    @app.after_server_stop
    async def _stop(app: Sanic) -> None:
        await disconnects.drain()
        stats_tally = getattr(app.ctx, "stats_tally", None)
        if stats_tally is not None:
            await stats_tally.stop()  # this process's last quotes reach Redis before the jobs' last fold
        await jobs.stop(app)
        help_index = getattr(app.ctx, "help_index", None)
        if help_index is not None:
            install_help_lookup(None)
            await help_index.stop()
        invalidations = getattr(app.ctx, "invalidations", None)
        if invalidations is not None:
            await invalidations.stop()
        promotion_cache = getattr(app.ctx, "promotion_cache", None)
        if promotion_cache is not None:
            await promotion_cache.stop()
            promotions_cache.install(None)
        deps = getattr(app.ctx, "deps", None)
        if deps is not None:
            await deps.close()
        await db.close_db()

    return app


def _add_service_routes(app: Sanic) -> None:
    @app.get("/healthz")
    @openapi.exclude()
    async def healthz(request: Request):
        return http.json({"status": "ok"})

    @app.get("/readyz")
    @openapi.exclude()
    async def readyz(request: Request):
        connection, redis = Tortoise.get_connection("default"), request.app.ctx.deps.redis
        # What this process really talks to, so a deployment (or CI) can tell the embedded default from the real one.
        backends = {"database": connection.capabilities.dialect,
                    "redis": "stand-in" if type(redis).__module__.startswith("fakeredis") else "real"}
        checks = {}
        try:
            await connection.execute_query("SELECT 1")
            checks["database"] = "ok"
        except Exception as exc:  # readiness reports, it does not fail
            checks["database"] = f"error: {type(exc).__name__}"
        try:
            await redis.ping()
            checks["redis"] = "ok"
        except Exception as exc:
            checks["redis"] = f"error: {type(exc).__name__}"
        if any(value != "ok" for value in checks.values()):
            raise AppError("NOT_READY", checks=checks, backends=backends)
        return http.json({"status": "ready", "checks": checks, "backends": backends})

    @app.get("/openapi.json")
    @openapi.exclude()
    async def openapi_json(request: Request):
        return http.json(SpecificationBuilder().build(request.app).serialize())
