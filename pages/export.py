"""Export data: search results, influencer data, the PDF report and one archive of all of it."""

from collections.abc import Callable

import streamlit as st

from core import exports
from core.exports import ExportPlan, ExportRequest
from core.exports.request import ExportOptions
from core.platform import clock
from core.platform.errors import PortalError
from core.platform.i18n import fmt_number
from core.rules.vocabulary import STATUS_ENDED, STATUS_SCHEDULED
from pages.components.data_summary import show_counts
from pages.components.downloads import PreparedFile, prepared_file, size_text
from pages.components.invoice_links import invoice_download
from pages.shell.choices import kept
from pages.shell.context import PageContext

FORMATS = ("csv", "xlsx", "json")


def n(ctx: PageContext, value: int) -> str:
    return fmt_number(value, ctx.lang)


def format_picker(ctx: PageContext, key: str) -> str:
    return st.radio(
        ctx.t("export.format"),
        FORMATS,
        format_func=lambda f: ctx.t(f"export.format.{f}"),
        horizontal=True,
        key=kept(key),
    )


def streamed_link(
    ctx: PageContext, request: ExportRequest, label: str, key: str, note: str, **params: str
) -> None:
    """A link that streams the file from the server while it is written (`/download/<token>`,
    core/web/http.py). Not a download button: Streamlit keeps a button's file in the server's
    memory for the session, and a file made when the button is clicked can be deleted by another
    session's clean-up before the browser fetches it (tests/pages/test_download_buttons.py)."""
    token = exports.download_token(ctx.db, ctx.user, request, lang=ctx.lang)
    st.caption(ctx.t(note, minutes=n(ctx, exports.DOWNLOAD_LINK_MINUTES), **params))
    st.link_button(label, f"/download/{token}", type="primary", icon=":material/download:", key=key)


def offer(
    ctx: PageContext,
    request: ExportRequest,
    contains: Callable[[ExportPlan], str],
    label: str,
    key: str,
    rows: int | None = None,
) -> None:
    """What the file holds, then the link that makes and downloads it in one click. `rows`:
    the influencers already counted by `export_options`, not counted again."""
    if request.fmt == "xlsx":
        problem = exports.xlsx_problem(ctx.db, ctx.user, request)
        if problem:
            st.warning(ctx.t(problem), icon=":material/warning:")
            return
    plan = exports.plan_export(ctx.db, ctx.user, request, rows=rows)
    st.markdown(contains(plan))
    st.caption(ctx.t("export.file_name", name=plan.file_name))
    if exports.streams(plan.rows):
        streamed_link(ctx, plan.request, label, key, "export.stream.note", rows=n(ctx, plan.rows))
    else:
        streamed_link(ctx, plan.request, label, key, "export.stream.small_note")


def prepare(ctx: PageContext, request: ExportRequest, slot: str, account_id: int) -> None:
    """Build a large file with a progress bar, and keep it for the download button."""
    bar = st.progress(0.0, text=ctx.t("export.step.report"))

    def progress(fraction: float, step: str) -> None:
        bar.progress(min(1.0, max(0.0, fraction)), text=ctx.t(step))

    try:
        content, result = exports.export_bytes(
            ctx.db, ctx.user, request, lang=ctx.lang, progress=progress
        )
    except PortalError as exc:
        bar.empty()
        st.error(ctx.t(exc.key, **exc.params))
        return
    bar.empty()
    st.session_state[slot] = {
        "account_id": account_id,
        "lang": ctx.lang,
        "content": content,
        "result": result,
        "at": clock.now(),
    }


def options_or_stop(ctx: PageContext) -> ExportOptions:
    """What this account may export; the reason and a stop when it may export nothing."""
    try:
        return exports.export_options(ctx.db, ctx.user)
    except exports.ExportUnavailable as exc:
        st.error(ctx.t(exc.key, **exc.params), icon=":material/block:")
        st.stop()


def availability(ctx: PageContext, opts: ExportOptions) -> None:
    # Every date below comes from core: the day access ends and the last day of the export window.
    dates = {"ends": opts.ends_on, "last_day": opts.available_until}
    st.markdown(ctx.t("export.intro"))
    if opts.status == STATUS_ENDED:
        st.warning(ctx.t("export.available_ended", **dates), icon=":material/lock_clock:")
    elif opts.status == STATUS_SCHEDULED:
        st.warning(ctx.t("export.available_scheduled", **dates), icon=":material/event_busy:")
    else:
        st.info(ctx.t("export.available_active", **dates), icon=":material/event_available:")
    show_counts(ctx, opts.counts())


def search_card(ctx: PageContext, opts: ExportOptions) -> None:
    st.subheader(ctx.t("export.search.title"), anchor="search-data")
    st.caption(ctx.t("export.search.help"))
    if not opts.searches:
        st.info(ctx.t("export.search.none"))
        return
    names = {
        c.id: ctx.t("export.search.option", name=c.name, results=n(ctx, c.results))
        for c in opts.searches
    }
    chosen = st.multiselect(
        ctx.t("export.search.pick"),
        options=list(names),
        default=list(names),
        format_func=names.__getitem__,
        placeholder=ctx.t("export.search.placeholder"),
        key=kept("export_searches"),
    )
    fmt = format_picker(ctx, "export_search_format")
    if not chosen:
        st.warning(ctx.t("export.search.choose"))
        return
    ids = None if len(chosen) == len(names) else tuple(chosen)
    offer(
        ctx,
        ExportRequest(exports.SEARCH_RESULTS, fmt, search_ids=ids),
        lambda plan: ctx.t(
            "export.search.contains",
            rows=n(ctx, plan.rows),
            searches=n(ctx, len(chosen)),
            columns=n(ctx, len(plan.columns)),
        ),
        ctx.t("export.download.search"),
        "dl_search_results",
    )


def influencer_card(ctx: PageContext, opts: ExportOptions) -> None:
    st.subheader(ctx.t("export.influencers.title"), anchor="influencer-data")
    st.caption(ctx.t("export.influencers.help"))
    columns = st.multiselect(
        ctx.t("export.influencers.columns"),
        options=[c.key for c in exports.INFLUENCER_COLUMNS],
        default=list(exports.INFLUENCER_DEFAULT_COLUMNS),
        format_func=lambda key: ctx.t(f"export.col.{key}"),
        placeholder=ctx.t("export.influencers.columns_placeholder"),
        key=kept("export_columns"),
    )
    scope_labels = {
        exports.SCOPE_ALL: ctx.t("export.scope.all", count=n(ctx, opts.influencers)),
        exports.SCOPE_LISTED: ctx.t("export.scope.listed", count=n(ctx, opts.influencers_listed)),
    }
    scope = st.radio(
        ctx.t("export.influencers.scope"),
        list(scope_labels),
        format_func=scope_labels.__getitem__,
        key=kept("export_scope"),
    )
    fmt = format_picker(ctx, "export_influencer_format")
    if not columns:
        st.warning(ctx.t("export.influencers.choose"))
        return
    offer(
        ctx,
        ExportRequest(exports.INFLUENCERS, fmt, columns=tuple(columns), scope=scope),
        lambda plan: ctx.t(
            "export.influencers.contains",
            rows=n(ctx, plan.rows),
            columns=n(ctx, len(plan.columns)),
        ),
        ctx.t("export.download.influencers"),
        "dl_influencers",
        opts.influencers if scope == exports.SCOPE_ALL else opts.influencers_listed,
    )


def report_card(ctx: PageContext, opts: ExportOptions) -> PreparedFile | None:
    """The PDF report, made on request; returns it once made (for the preview at the end)."""
    st.subheader(ctx.t("export.report.title"), anchor="pdf-report")
    st.caption(ctx.t("export.report.help"))
    st.markdown(
        ctx.t(
            "export.report.contains",
            influencers=n(ctx, opts.influencers),
            lists=n(ctx, opts.lists),
            campaigns=n(ctx, opts.campaigns),
            reports=n(ctx, opts.reports),
        )
    )
    if st.button(
        ctx.t("export.report.prepare"), icon=":material/picture_as_pdf:", key="prepare_report"
    ):
        prepare(ctx, ExportRequest(exports.REPORT, "pdf"), "export_report", opts.account_id)
    ready = prepared_file("export_report", opts.account_id, ctx.lang)
    if ready:
        ready_text = ctx.t(
            "export.report.ready", pages=n(ctx, ready.result.pages), time=ready.time(ctx.lang)
        )
        download_ready(ctx, ready, ready_text, "export.download.report", "dl_report")
    return ready


def download_ready(
    ctx: PageContext, ready: PreparedFile, ready_text: str, label_key: str, key: str
) -> None:
    """A prepared file: that it is ready (and what it holds), its name, and its download button."""
    st.success(ready_text, icon=":material/check_circle:")
    st.caption(ctx.t("export.file_name", name=ready.result.file_name))
    st.download_button(
        ctx.t(label_key),
        data=ready.content,
        file_name=ready.result.file_name,
        mime=ready.result.mime,
        on_click="ignore",
        type="primary",
        icon=":material/download:",
        key=key,
    )


def archive_card(ctx: PageContext, opts: ExportOptions) -> None:
    st.subheader(ctx.t("export.archive.title"), anchor="everything")
    st.caption(ctx.t("export.archive.help"))
    st.markdown(
        ctx.t(
            "export.archive.contains",
            search_rows=n(ctx, opts.search_results),
            influencer_rows=n(ctx, opts.influencers),
            invoices=n(ctx, opts.invoices),
        )
    )
    archive = ExportRequest(exports.ARCHIVE, "zip")
    ready_zip = None
    if exports.streams(opts.search_results + opts.influencers):  # too large to keep in the page
        name = exports.file_name(opts.company, exports.ARCHIVE, "zip")
        st.caption(ctx.t("export.file_name", name=name))
        label = ctx.t("export.download.archive")
        streamed_link(ctx, archive, label, "dl_archive", "export.stream.archive_note")
    else:
        if st.button(
            ctx.t("export.archive.prepare"), icon=":material/folder_zip:", key="prepare_archive"
        ):
            prepare(ctx, archive, "export_archive", opts.account_id)
        ready_zip = prepared_file("export_archive", opts.account_id, ctx.lang)
    if ready_zip:
        ready_text = ctx.t(
            "export.archive.ready",
            size=size_text(ctx, ready_zip.result.size),
            time=ready_zip.time(ctx.lang),
        )
        download_ready(ctx, ready_zip, ready_text, "export.download.archive", "dl_archive")


def invoices_card(ctx: PageContext, opts: ExportOptions) -> None:
    st.subheader(ctx.t("export.invoices.title"), anchor="invoices")
    st.caption(ctx.t("export.invoices.help"))
    if opts.invoice_list:
        invoice_download(ctx, opts.invoice_list, "export_invoice")
    else:
        st.info(ctx.t("export.invoices.none"))


def report_preview(ctx: PageContext, ready: PreparedFile) -> None:
    with st.expander(ctx.t("export.report.preview"), expanded=True, icon=":material/preview:"):
        st.pdf(ready.content, height=820, alt=ctx.t("export.report.preview"))


def render(ctx: PageContext) -> None:
    st.title(ctx.t("export.title"))
    opts = options_or_stop(ctx)
    availability(ctx, opts)

    left, right = st.columns(2, gap="medium")
    with left, st.container(border=True):
        search_card(ctx, opts)
    with right, st.container(border=True):
        influencer_card(ctx, opts)
    st.caption(ctx.t("export.protection_note"))

    left, right = st.columns(2, gap="medium")
    with left, st.container(border=True):
        ready = report_card(ctx, opts)
    with right, st.container(border=True):
        archive_card(ctx, opts)
    with st.container(border=True):
        invoices_card(ctx, opts)

    if ready:
        report_preview(ctx, ready)


if __name__ == "__main__":  # run as a script by Streamlit's scan of pages/: go through the router
    from pages.shell.router import run_router

    run_router()
