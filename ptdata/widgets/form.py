"""``ComposeForm``: compose, preview and send a campaign from a notebook, without code.

The form only gathers choices: it reads its widgets into a ``FormState``, turns that into the
arguments of ``ptdata.plan`` (``state.plan_arguments``), and shows what ``plan``, ``send`` and
``sms_segments`` return. Nothing is sent until Send is clicked and then confirmed, and the
plan that is confirmed is exactly the one that was shown.

>>> import ptdata, ptdata.widgets
>>> form = ptdata.widgets.ComposeForm(ptdata.PowerTextor(), contacts=frame)
>>> form                                   # the last line of a cell shows it
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import pandas as pd

from ptdata.widgets import render
from ptdata.widgets.state import (
    KIND_LABELS,
    QUIET_LABELS,
    SOURCE_LABELS,
    TIMING_LABELS,
    FormState,
    contacts_frame,
    plan_arguments,
    recipients_frame,
)

__all__ = ["ComposeForm", "TIME_ZONES"]

#: the time zones offered first (any IANA name given to the form is added)
TIME_ZONES = (
    "America/New_York", "America/Chicago", "America/Denver", "America/Phoenix",
    "America/Los_Angeles", "America/Anchorage", "Pacific/Honolulu", "America/Puerto_Rico",
    "America/Toronto", "America/Vancouver", "Europe/London", "UTC",
)


def _wide() -> w.Layout:
    # one Layout per widget: a shared one would show and hide them all together
    return w.Layout(width="95%")

_DESC = {"description_width": "initial"}


def _heading(text: str) -> w.HTML:
    return w.HTML(f"<h4 style='margin:10px 0 2px 0'>{text}</h4>")


def _show(widget: w.Widget, visible: bool) -> None:
    widget.layout.display = None if visible else "none"


class ComposeForm(w.VBox):
    """A form to write one message to contacts, groups or pasted numbers, preview it and send it.

    Args:
        client: a ``ptdata.PowerTextor`` (groups, places and contacts are read through it).
        contacts: a frame of recipients to pick from (``read_sheet``/``validate(...).clean``:
            a ``Phone`` column, its other columns become merge fields). Without it, the
            form lists your Power Textor contacts.
        suppress: numbers never to text (passed to ``plan``: a set, a suppression file, an
            inbound dump...).
        timezone: the zone the form's dates and times are read in at first.
        now: the current time for ``plan`` (an aware datetime; default the clock): what is
            past, and whether "Now" falls in a recipient's quiet hours.
        rate: API calls per second while sending (passed to ``send``).
        ledger: the ledger file for ``send`` (default ``.ptdata/ledger.sqlite``).

    >>> form = ComposeForm(client, contacts=ptdata.read_sheet("contacts.csv"))
    >>> form.body.value = "Hi {Name}, doors open at 9!"
    >>> form.preview_button.click()        # what a click does, from code
    """

    def __init__(self, client: Any, contacts: pd.DataFrame | None = None, *,
                 suppress: Any = None, timezone: str = "America/New_York", now: Any = None,
                 rate: float = 5.0, ledger: Any = None, preview_count: int = 3,
                 report_name: str = "report.csv") -> None:
        self.client = client
        self.now = now
        self.suppress = suppress
        self.rate = rate
        self.ledger = ledger
        self.preview_count = preview_count
        self.report_name = report_name
        self.plan: Any = None       # the last plan shown
        self.report: Any = None     # the last report
        self.error: str | None = None  # the last failure, as the form shows it
        self._pending: Any = None   # the plan waiting for Confirm
        self._groups_loaded = self._places_loaded = False
        self._picked: set[str] = set()
        self._syncing = False

        self.result = w.HTML(layout=_wide()).add_class("ptdata-result")
        self.progress = w.Output(layout=_wide()).add_class("ptdata-progress")
        self._from_client = contacts is None
        try:
            if contacts is None:
                contacts = client.contacts().to_frame()
            self.contacts = contacts_frame(contacts)
        except Exception as exc:  # noqa: BLE001 - shown in the form, the form still works
            self.contacts = contacts_frame(None)
            self.result.value = render.error_html(exc)

        self._build_recipients()
        self._build_kind(timezone)
        self._build_body()
        self._build_actions()
        super().__init__(
            [_heading("1 · Recipients"), self.recipients_box,
             _heading("2 · Message kind"), self.kind_box,
             _heading("3 · When"), self.timing_box,
             _heading("4 · Message"), self.body_box,
             self.actions_box, self.progress, self.result],
            layout=w.Layout(width="100%", max_width="860px", padding="4px 8px",
                            border="1px solid #ddd"),
        )
        self.add_class("ptdata-compose-form")
        for widget in self._inputs():
            widget.observe(self._changed, names="value")
        self._refresh_panels()
        self._update_recipients()
        self._update_message()

    # -- building --------------------------------------------------------------------------------

    def _build_recipients(self) -> None:
        self.source = w.ToggleButtons(options=[(v, k) for k, v in SOURCE_LABELS.items()],
                                      value="contacts" if len(self.contacts) else "numbers")
        self.contact_search = w.Text(placeholder="Search by name or number",
                                     layout=w.Layout(width="60%"))
        self.contact_list = w.SelectMultiple(options=self._contact_options(""), rows=7,
                                             layout=_wide()).add_class("ptdata-contacts")
        self.select_shown = w.Button(description="Select all shown", icon="check-square")
        self.clear_picked = w.Button(description="Clear", icon="times")
        self.contacts_box = w.VBox([
            w.HBox([self.contact_search, self.select_shown, self.clear_picked]),
            self.contact_list])
        self.group_list = w.SelectMultiple(options=[], rows=6, layout=_wide()).add_class("ptdata-groups")
        self.numbers = w.Textarea(placeholder="One number per line, e.g. +1 415 555 0123",
                                  rows=5, layout=_wide()).add_class("ptdata-numbers")
        self.recipients_status = w.HTML().add_class("ptdata-recipients-status")
        self.recipients_box = w.VBox([self.source, self.contacts_box, self.group_list,
                                      self.numbers, self.recipients_status])
        self.source.observe(self._guard(self._source_changed), names="value")
        self.contact_search.observe(self._guard(self._search_changed), names="value")
        self.contact_list.observe(self._guard(self._picked_changed), names="value")
        self.select_shown.on_click(self._guard(lambda _: self._pick_shown(True)))
        self.clear_picked.on_click(self._guard(lambda _: self._pick_shown(False)))

    def _build_kind(self, timezone: str) -> None:
        self.kind = w.ToggleButtons(options=[(v, k) for k, v in KIND_LABELS.items()], value="text")
        self.place = w.Dropdown(description="Place", options=[], style=_DESC,
                                layout=w.Layout(width="60%")).add_class("ptdata-place")
        self.event_date = w.DatePicker(description="Event date", style=_DESC)
        self.days_before = w.BoundedIntText(value=1, min=0, max=365, description="Days before",
                                            style=_DESC, layout=w.Layout(width="180px"))
        self.event_time = w.TimePicker(description="Send at", style=_DESC)
        self.reminder_box = w.HBox([self.event_date, self.days_before, self.event_time])
        self.attachment = w.FileUpload(accept="image/*,video/*,audio/*,.pdf,.vcf", multiple=False,
                                       description="Attach a file")
        self.mms_box = w.HBox([self.attachment, w.HTML(
            "<span style='opacity:.7'>An MMS goes out right away.</span>")])
        self.kind_box = w.VBox([self.kind, self.place, self.reminder_box, self.mms_box])
        self.kind.observe(self._guard(lambda _: self._refresh_panels()), names="value")

        zones = list(TIME_ZONES) if timezone in TIME_ZONES else [timezone, *TIME_ZONES]
        self.timing = w.ToggleButtons(options=[(v, k) for k, v in TIMING_LABELS.items()], value="now")
        self.at_date = w.DatePicker(description="Date", style=_DESC)
        self.at_time = w.TimePicker(description="Time", style=_DESC)
        self.timezone = w.Dropdown(options=zones, value=timezone, description="Time zone",
                                   style=_DESC)
        self.at_box = w.HBox([self.at_date, self.at_time])
        self.timing_note = w.HTML()
        self.quiet = w.Dropdown(options=[(v, k) for k, v in QUIET_LABELS.items()], value="shift",
                                description="Outside 08:00–21:00 their time", style=_DESC,
                                layout=w.Layout(width="70%")).add_class("ptdata-quiet")
        self.timing_box = w.VBox([self.timing, self.at_box, self.timezone, self.quiet,
                                  self.timing_note])
        self.timing.observe(self._guard(lambda _: self._refresh_panels()), names="value")
        self.quiet.observe(self._guard(lambda _: self._refresh_panels()), names="value")

    def _build_body(self) -> None:
        self.body = w.Textarea(placeholder="Your message. {Name} is replaced by each row's Name.",
                               rows=4, layout=_wide()).add_class("ptdata-body")
        self.footer = w.Checkbox(description="Add “Reply STOP to opt out”", value=False,
                                 indent=False)
        self.merge_field = w.Dropdown(description="Insert field", options=[("—", "")],
                                      style=_DESC)
        self.counter = w.HTML().add_class("ptdata-counter-box")
        self.previews = w.HTML().add_class("ptdata-previews-box")
        self.body_box = w.VBox([self.body, w.HBox([self.merge_field, self.footer]),
                                self.counter, self.previews])
        self.merge_field.observe(self._guard(self._insert_field), names="value")

    def _build_actions(self) -> None:
        self.preview_button = w.Button(description="Preview", icon="eye",
                                       button_style="info").add_class("ptdata-preview")
        self.send_button = w.Button(description="Send", icon="paper-plane",
                                    button_style="primary").add_class("ptdata-send")
        self.confirm_button = w.Button(description="Confirm and send", icon="check",
                                       button_style="danger").add_class("ptdata-confirm")
        self.cancel_button = w.Button(description="Cancel").add_class("ptdata-cancel")
        self.actions_box = w.HBox([self.preview_button, self.send_button, self.confirm_button,
                                   self.cancel_button], layout=w.Layout(margin="10px 0 4px 0"))
        self.preview_button.on_click(self._guard(self._on_preview))
        self.send_button.on_click(self._guard(self._on_send))
        self.confirm_button.on_click(self._guard(self._on_confirm))
        self.cancel_button.on_click(self._guard(self._on_cancel))
        self._show_confirm(False)

    def _inputs(self) -> list[w.Widget]:
        return [self.source, self.contact_list, self.group_list, self.numbers, self.kind,
                self.place, self.event_date, self.days_before, self.event_time, self.attachment,
                self.timing, self.at_date, self.at_time, self.timezone, self.quiet, self.body,
                self.footer]

    # -- state -----------------------------------------------------------------------------------

    def state(self) -> FormState:
        """What the form holds now, as plain values."""
        upload = self.attachment.value
        attachment = None
        if upload:
            first = upload[0]
            attachment = (first["name"], bytes(first["content"]))
        return FormState(
            source=self.source.value, contacts=tuple(sorted(self._picked)),
            groups=tuple(self.group_list.value), numbers=self.numbers.value,
            kind=self.kind.value, place=self.place.value, event_date=self.event_date.value,
            days_before=self.days_before.value, event_time=self.event_time.value,
            attachment=attachment, timing=self.timing.value, at_date=self.at_date.value,
            at_time=self.at_time.value, timezone=self.timezone.value, quiet=self.quiet.value,
            body=self.body.value,
            opt_out_footer=self.footer.value, contacts_are_powertextor=self._from_client,
        )

    def make_plan(self) -> Any:
        """The plan for what the form holds (``ptdata.plan``), rows that cannot be sent skipped."""
        import ptdata

        frame, kwargs = plan_arguments(self.state(), self.contacts)
        return ptdata.plan(frame, client=self.client, suppress=self.suppress, skip_invalid=True,
                           now=self.now, **kwargs)

    # -- handlers --------------------------------------------------------------------------------

    def _guard(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        """Run a handler; a failure becomes a readable message in the form, never a traceback."""

        @functools.wraps(handler)
        def run(*args: Any) -> None:
            try:
                handler(*args)
            except Exception as exc:  # noqa: BLE001 - the form shows every failure
                self.error = render.error_text(exc)
                self.result.value = render.error_html(exc)

        return run

    def _changed(self, change: dict[str, Any]) -> None:
        if self._pending is not None:
            self._pending = None
            self._show_confirm(False)
            self.result.value = render.note_html(
                "The form changed after Send: nothing was sent. Click Send again to review "
                "the new plan.")
        if change["owner"] in (self.source, self.contact_list, self.group_list, self.numbers):
            self._guard(lambda: self._update_recipients())()
        self._guard(lambda: self._update_message())()

    def _source_changed(self, _: Any) -> None:
        if self.source.value == "groups" and not self._groups_loaded:
            groups = self.client.groups()
            self.group_list.options = [
                (g.name + ("" if g.contacts_count is None else f" ({g.contacts_count})"), g.group_id)
                for g in groups]
            self._groups_loaded = True
        self._refresh_panels()

    def _contact_options(self, query: str) -> list[tuple[str, str]]:
        frame = self.contacts
        phones = frame["Phone"].astype("str").fillna("")
        names = pd.Series("", index=frame.index, dtype="str")
        for col in ("Name", "LastName"):
            if col in frame.columns:
                names = (names + " " + frame[col].astype("str").fillna("")).str.strip()
        labels = (names + "  " + phones).str.strip()
        q = query.strip().casefold()
        if q:
            keep = labels.str.casefold().str.contains(q, regex=False)
            labels, phones = labels[keep], phones[keep]
        seen: set[str] = set()
        options = []
        for label, phone in zip(labels, phones):
            if phone and phone not in seen:
                seen.add(phone)
                options.append((label, phone))
        return options

    def _search_changed(self, _: Any) -> None:
        self._syncing = True
        try:
            self.contact_list.options = self._contact_options(self.contact_search.value)
            shown = {v for _, v in self.contact_list.options}
            self.contact_list.value = tuple(v for _, v in self.contact_list.options
                                            if v in self._picked and v in shown)
        finally:
            self._syncing = False
        self._update_recipients()

    def _picked_changed(self, change: dict[str, Any]) -> None:
        if self._syncing:
            return
        shown = {v for _, v in self.contact_list.options}
        self._picked = (self._picked - shown) | set(change["new"])

    def _pick_shown(self, pick: bool) -> None:
        shown = [v for _, v in self.contact_list.options]
        if pick:
            self._picked |= set(shown)
            self.contact_list.value = tuple(shown)
        else:
            self._picked.clear()
            self.contact_list.value = ()

    def _insert_field(self, change: dict[str, Any]) -> None:
        if change["new"]:
            text = self.body.value
            sep = "" if not text or text.endswith((" ", "\n")) else " "
            self.body.value = f"{text}{sep}{{{change['new']}}}"
            self.merge_field.value = ""

    def _on_preview(self, _: Any) -> None:
        self.error = None
        self._pending = None
        self._show_confirm(False)
        self.result.value = render.note_html("Planning…")
        self.plan = self.make_plan()
        self._plan_counts(self.plan)
        self.result.value = render.plan_html(self.plan)

    def _on_send(self, _: Any) -> None:
        self.error = None
        self._pending = None
        self._show_confirm(False)
        self.plan = self.make_plan()
        self._plan_counts(self.plan)
        if self.plan.recipients == 0:
            self.error = "Nothing to send: no row can be sent (see the reasons below)."
            self.result.value = render.error_html(ValueError(self.error)) + \
                render.plan_html(self.plan)
            return
        self._pending = self.plan
        self.result.value = render.confirm_html(self.plan) + render.plan_html(self.plan)
        self._show_confirm(True)

    def _on_confirm(self, _: Any) -> None:
        self.error = None
        import ptdata

        plan, self._pending = self._pending, None
        self._show_confirm(False)
        if plan is None:
            self.result.value = render.note_html("Nothing is waiting to be sent; click Send first.")
            return
        self.send_button.disabled = self.preview_button.disabled = True
        self.progress.clear_output()
        self.result.value = render.note_html(f"Sending {plan.recipients:,} messages…")
        try:
            with self.progress:  # tqdm.auto draws its bar here, inside the form
                self.report = ptdata.send(plan, self.client, rate=self.rate, ledger=self.ledger)
        finally:
            self.send_button.disabled = self.preview_button.disabled = False
        self.result.value = render.report_html(self.report, self.report_name)

    def _on_cancel(self, _: Any) -> None:
        self._pending = None
        self._show_confirm(False)
        self.result.value = render.note_html("Cancelled: nothing was sent.")

    # -- read-outs -------------------------------------------------------------------------------

    def _show_confirm(self, visible: bool) -> None:
        _show(self.confirm_button, visible)
        _show(self.cancel_button, visible)

    def _refresh_panels(self) -> None:
        source, kind, timing = self.source.value, self.kind.value, self.timing.value
        _show(self.contacts_box, source == "contacts")
        _show(self.group_list, source == "groups")
        _show(self.numbers, source == "numbers")
        _show(self.place, kind == "review")
        _show(self.reminder_box, kind == "reminder")
        _show(self.mms_box, kind == "mms")
        if kind == "review" and not self._places_loaded:
            self.place.options = [(p.name, p.google_place_id) for p in self.client.places()]
            self._places_loaded = True
        schedulable = kind in ("text", "review")
        quiet_on = self.quiet.value != "off"
        _show(self.timing, schedulable)
        _show(self.at_box, schedulable and timing in ("at", "local"))
        _show(self.timezone, kind == "reminder" or (schedulable and timing == "at")
              or (source == "groups" and quiet_on))
        notes = []
        if kind == "reminder":
            notes.append("A reminder goes out the chosen number of days before the event, at "
                         "the time above in this time zone.")
        elif kind == "mms":
            notes.append("An MMS goes out right away.")
        elif timing == "local":
            notes.append("Each recipient gets it at this date and time in their own time zone "
                         "(from the number, or the sheet's TimeZone, ZIP or State).")
        if quiet_on:
            notes.append("Quiet hours: nothing reaches anyone before 08:00 or after 21:00 their "
                         "time (20:00 in some states)"
                         + (", checked in the time zone above for groups." if source == "groups"
                            else "."))
        self.timing_note.value = (f"<span style='opacity:.7'>{' '.join(notes)}</span>"
                                  if notes else "")
        fields = [("—", "")] + [(c, c) for c in self._frame().columns if c != "row"]
        if list(self.merge_field.options) != fields:
            self.merge_field.options = fields

    def _frame(self) -> pd.DataFrame:
        return recipients_frame(self.state(), self.contacts)

    def _update_recipients(self) -> None:
        state = self.state()
        if state.source == "groups":
            chosen = [label for label, gid in self.group_list.options if gid in set(state.groups)]
            self.recipients_status.value = render.groups_html(chosen)
            self._refresh_panels()
            return
        frame = self._frame()
        if len(frame) == 0:
            self.recipients_status.value = render.recipients_html({"recipients": 0})
            return
        import ptdata

        # the same rules as sending (numbers checked, duplicates, opt-outs), without the network;
        # quiet hours depend on the timing chosen, so the preview and Send judge them
        p = ptdata.plan(frame, body=".", to="numbers", suppress=self.suppress, skip_invalid=True,
                        quiet=None, now=self.now)
        self._plan_counts(p)
        self._refresh_panels()

    def _plan_counts(self, plan: Any) -> None:
        reasons = plan.frame["skip_reason"].dropna().value_counts()
        counts = {"recipients": plan.recipients, **{str(k): int(v) for k, v in reasons.items()}}
        self.recipients_status.value = render.recipients_html(counts)

    def _update_message(self) -> None:
        from ptdata.sheets.segments import sms_segments
        from ptdata.sheets.templates import render as render_template

        text, footer = self.body.value, self.footer.value
        frame = self._frame() if self.source.value != "groups" else pd.DataFrame()
        if len(frame):  # preview only people who can receive it: numbers that are valid
            from ptdata.sheets.phones import normalize_phones

            phones = normalize_phones(frame["Phone"])
            frame = frame[phones.notna().to_numpy()].assign(Phone=phones.dropna().to_numpy())
        if text and len(frame):
            try:
                head = frame.head(self.preview_count)
                bodies = render_template(text, head).tolist()
            except ValueError as exc:
                self.counter.value = render.error_html(exc)
                self.previews.value = ""
                return
            who = head["Phone"].astype("str").fillna("").tolist()
            self.counter.value = render.counter_html(sms_segments(bodies[0], opt_out_footer=footer),
                                                     rendered=bodies[0] != text)
            self.previews.value = render.previews_html(zip(who, bodies))
        else:
            self.counter.value = render.counter_html(sms_segments(text, opt_out_footer=footer))
            self.previews.value = ""
