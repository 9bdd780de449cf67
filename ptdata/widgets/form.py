"""``ComposeForm``: compose, preview and send a campaign from a notebook, without code.

The form only gathers choices: it reads its widgets into a ``FormState``, turns that into the
arguments of ``ptdata.plan`` (``state.plan_arguments``), and shows what ``plan``, ``send`` and
``sms_segments`` return. Nothing is sent until Send is clicked and then confirmed, and the
plan that is confirmed is exactly the one that was shown. A group counts as its members
(GetGroups' ContactsCount) everywhere the form counts; with a price per segment on the client
(``PowerTextor(price_per_segment=...)``) every count comes with its estimated cost.

>>> import ptdata, ptdata.widgets
>>> form = ptdata.widgets.ComposeForm(ptdata.PowerTextor(), contacts=frame)
>>> form                                   # the last line of a cell shows it
ComposeForm(...)
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import pandas as pd

from ptdata.sheets.segments import MAX_CHARS, MAX_SEGMENTS
from ptdata.widgets import render
from ptdata.widgets.preview import Look, MessagePreview
from ptdata.widgets.recipients import RecipientsPicker
from ptdata.widgets.state import (
    KIND_LABELS,
    QUIET_LABELS,
    TIMING_LABELS,
    FormState,
    contacts_frame,
    missing,
    missing_for_test,
    parse_numbers,
    plan_arguments,
    recipients_frame,
)

__all__ = ["ComposeForm", "TIME_ZONES"]

#: the time zones offered first (any IANA name given to the form is added)
TIME_ZONES = (
    "America/New_York",
    "America/Chicago",
    "America/Denver",
    "America/Phoenix",
    "America/Los_Angeles",
    "America/Anchorage",
    "Pacific/Honolulu",
    "America/Puerto_Rico",
    "America/Toronto",
    "America/Vancouver",
    "Europe/London",
    "UTC",
)


def _wide() -> w.Layout:
    # one Layout per widget: a shared one would show and hide them all together
    return w.Layout(width="95%")


_DESC = {"description_width": "initial"}
#: seconds in which a second "Send test" click with nothing changed is the same click
_TEST_AGAIN_AFTER = 2.0


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
        ledger: the send history for ``send`` (default ``history.sqlite`` in your data folder).
        preview_count: how many recipients' messages are listed under the message (the
            phone preview steps through all of them).

    >>> form = ComposeForm(client, contacts=ptdata.read_sheet("contacts.csv"))
    >>> form.body.value = "Hi {Name}, doors open at 9!"
    >>> form.preview_button.click()        # what a click does, from code
    """

    def __init__(
        self,
        client: Any,
        contacts: pd.DataFrame | None = None,
        *,
        suppress: Any = None,
        timezone: str = "America/New_York",
        now: Any = None,
        rate: float = 5.0,
        ledger: Any = None,
        preview_count: int = 3,
        report_name: str = "report.csv",
    ) -> None:
        self.client = client
        self.now = now
        self.suppress = suppress
        self.rate = rate
        self.ledger = ledger
        self.preview_count = preview_count
        self.report_name = report_name
        self.plan: Any = None  # the last plan shown
        self.report: Any = None  # the last report
        self.test_report: Any = None  # the last test send's report
        self.error: str | None = None  # the last failure, as the form shows it
        self._pending: Any = None  # the plan waiting for Confirm
        self._sending = self._bar_shown = False
        #: the last test sent: (what the form said, when it finished), so that the second
        #: click of a double-click on "Send test" does not text the staff again
        self._last_test: tuple[Any, float] | None = None
        self._showing: str | None = None  # what the result area shows: plan, confirm, report...
        self.price = getattr(client, "price_per_segment", None)
        self._places_loaded = False
        self._look = Look()

        self.result = w.HTML(layout=_wide()).add_class("ptdata-result")
        self.progress = w.Output(layout=_wide()).add_class("ptdata-progress")
        self._from_client = contacts is None
        try:
            if contacts is None:
                contacts = client.contacts().to_frame()
            self.contacts = contacts_frame(contacts)
        except Exception as exc:
            self.contacts = contacts_frame(None)
            self.result.value = render.error_html(exc)
            self._showing = "error"

        self.picker = self.recipients_box = RecipientsPicker(
            client, self.contacts, suppress=suppress, now=now
        )
        p = self.picker  # the widgets tests and notebooks reach through the form
        self.source, self.contact_search, self.contact_list = (
            p.source,
            p.contact_search,
            p.contact_list,
        )
        self.select_shown, self.clear_picked, self.group_list = (
            p.select_shown,
            p.clear_picked,
            p.group_list,
        )
        self.numbers, self.recipients_status = p.numbers, p.status
        self._build_kind(timezone)
        self._build_body()
        self._build_actions()
        super().__init__(
            [
                _heading("1 · Recipients"),
                self.recipients_box,
                _heading("2 · Message kind"),
                self.kind_box,
                _heading("3 · When"),
                self.timing_box,
                _heading("4 · Message"),
                self.body_box,
                self.todo,
                self.actions_box,
                self.test_box,
                self.progress,
                self.result,
            ],
            layout=w.Layout(
                width="100%", max_width="860px", padding="4px 8px", border="1px solid #ddd"
            ),
        )
        self.add_class("ptdata-compose-form")
        self._observe()
        self._refresh_panels()
        self._update_recipients()
        self._update_message()

    # -- building --------------------------------------------------------------------------------

    def _build_kind(self, timezone: str) -> None:
        self.kind = w.ToggleButtons(options=[(v, k) for k, v in KIND_LABELS.items()], value="text")
        self.place = w.Dropdown(
            description="Place", options=[], style=_DESC, layout=w.Layout(width="60%")
        ).add_class("ptdata-place")
        self.event_date = w.DatePicker(description="Event date", style=_DESC)
        self.days_before = w.BoundedIntText(
            value=1,
            min=0,
            max=365,
            description="Days before",
            style=_DESC,
            layout=w.Layout(width="180px"),
        )
        self.event_time = w.TimePicker(description="Send at", style=_DESC)
        self.reminder_box = w.HBox([self.event_date, self.days_before, self.event_time])
        self.attachment = w.FileUpload(
            accept="image/*,video/*,audio/*,.pdf,.vcf", multiple=False, description="Attach a file"
        )
        self.mms_box = w.HBox(
            [self.attachment, w.HTML("<span style='opacity:.7'>An MMS goes out right away.</span>")]
        )
        self.kind_box = w.VBox([self.kind, self.place, self.reminder_box, self.mms_box])

        zones = list(TIME_ZONES) if timezone in TIME_ZONES else [timezone, *TIME_ZONES]
        self.timing = w.ToggleButtons(
            options=[(v, k) for k, v in TIMING_LABELS.items()], value="now"
        )
        self.at_date = w.DatePicker(description="Date", style=_DESC)
        self.at_time = w.TimePicker(description="Time", style=_DESC)
        self.timezone = w.Dropdown(
            options=zones, value=timezone, description="Time zone", style=_DESC
        )
        self.at_box = w.HBox([self.at_date, self.at_time])
        self.timing_note = w.HTML()
        self.quiet = w.Dropdown(
            options=[(v, k) for k, v in QUIET_LABELS.items()],
            value="shift",
            description="Outside 08:00–21:00 their time",
            style=_DESC,
            layout=w.Layout(width="70%"),
        ).add_class("ptdata-quiet")
        self.timing_box = w.VBox(
            [self.timing, self.at_box, self.timezone, self.quiet, self.timing_note]
        )

    def _build_body(self) -> None:
        self.body = w.Textarea(
            placeholder="Your message. {Name} is replaced by each row's Name.",
            rows=4,
            layout=_wide(),
        ).add_class("ptdata-body")
        self.footer = w.Checkbox(
            description="Add “Reply STOP to opt out”", value=False, indent=False
        ).add_class("ptdata-footer")
        self.merge_field = w.Dropdown(description="Insert field", options=[("—", "")], style=_DESC)
        self.allow_long = w.Checkbox(
            description="Allow a long message", value=False, indent=False
        ).add_class("ptdata-allow-long")
        self.preview = MessagePreview(self.preview_count)
        self.counter, self.previews = self.preview.counter, self.preview.previews
        self.body_box = w.VBox(
            [self.body, w.HBox([self.merge_field, self.footer]), self.allow_long, self.preview]
        )

    def _build_actions(self) -> None:
        self.preview_button = w.Button(
            description="Preview", icon="eye", button_style="info"
        ).add_class("ptdata-preview")
        self.send_button = w.Button(
            description="Send", icon="paper-plane", button_style="primary"
        ).add_class("ptdata-send")
        self.confirm_button = w.Button(
            description="Confirm and send", icon="check", button_style="danger"
        ).add_class("ptdata-confirm")
        self.cancel_button = w.Button(description="Cancel").add_class("ptdata-cancel")
        self.actions_box = w.HBox(
            [self.preview_button, self.send_button, self.confirm_button, self.cancel_button],
            layout=w.Layout(margin="10px 0 4px 0"),
        )
        self.test_numbers = w.Text(
            description="Test numbers",
            placeholder="your mobile, e.g. +1 415 555 0199",
            style=_DESC,
            layout=w.Layout(width="45%"),
        ).add_class("ptdata-test-numbers")
        self.test_button = w.Button(description="Send test", icon="mobile").add_class("ptdata-test")
        self.test_box = w.HBox(
            [
                self.test_numbers,
                self.test_button,
                w.HTML(
                    "<div style='opacity:.7;line-height:1.3;margin-left:6px'>Now, to these "
                    "numbers only (commas between several): the first recipient's message.</div>"
                ),
            ],
            layout=w.Layout(margin="0 0 4px 0", align_items="center"),
        )
        self.test_button.on_click(self._guard(self._on_test))
        self.todo = w.HTML(layout=_wide()).add_class("ptdata-todo-box")
        self.preview_button.on_click(self._guard(self._on_preview))
        self.send_button.on_click(self._guard(self._on_send))
        self.confirm_button.on_click(self._guard(self._on_confirm))
        self.cancel_button.on_click(self._guard(self._on_cancel))
        self._show_confirm(False)

    def _observe(self) -> None:
        # in this order: a change first clears what described the form as it was, then the
        # widget's own handler runs (it may show an error), then the read-outs follow
        for widget in self._inputs():
            widget.observe(self._clear_stale, names="value")
        self.picker.wire(self._guard, on_search=self._guard(lambda: self._update_recipients()))
        self.merge_field.observe(self._guard(self._insert_field), names="value")
        for widget in (self.source, self.kind, self.timing, self.quiet):
            widget.observe(self._guard(lambda _: self._refresh_panels()), names="value")
        for widget in self._inputs():
            widget.observe(self._changed, names="value")

    def _inputs(self) -> list[w.Widget]:
        return [
            *self.picker.inputs,
            self.kind,
            self.place,
            self.event_date,
            self.days_before,
            self.event_time,
            self.attachment,
            self.timing,
            self.at_date,
            self.at_time,
            self.timezone,
            self.quiet,
            self.body,
            self.footer,
            self.allow_long,
        ]

    # -- state -----------------------------------------------------------------------------------

    def state(self) -> FormState:
        """What the form holds now, as plain values."""
        upload = self.attachment.value
        attachment = None
        if upload:
            first = upload[0]
            attachment = (first["name"], bytes(first["content"]))
        return FormState(
            source=self.source.value,
            contacts=tuple(sorted(self.picker.picked)),
            groups=tuple(self.group_list.value),
            numbers=self.numbers.value,
            kind=self.kind.value,
            place=self.place.value,
            event_date=self.event_date.value,
            days_before=self.days_before.value,
            event_time=self.event_time.value,
            attachment=attachment,
            timing=self.timing.value,
            at_date=self.at_date.value,
            at_time=self.at_time.value,
            timezone=self.timezone.value,
            quiet=self.quiet.value,
            body=self.body.value,
            opt_out_footer=self.footer.value,
            allow_long=self.allow_long.value,
            contacts_are_powertextor=self._from_client,
            test_numbers=self.test_numbers.value,
        )

    def make_plan(self) -> Any:
        """The plan for what the form holds (``ptdata.plan``), rows that cannot be sent skipped."""
        import ptdata

        frame, kwargs = plan_arguments(self.state(), self.contacts)
        return ptdata.plan(
            frame,
            client=self.client,
            suppress=self.suppress,
            skip_invalid=True,
            now=self.now,
            **kwargs,
        )

    # -- handlers --------------------------------------------------------------------------------

    def _guard(self, handler: Callable[..., Any]) -> Callable[..., Any]:
        """Run a handler; a failure becomes a readable message in the form, never a traceback."""

        @functools.wraps(handler)
        def run(*args: Any) -> None:
            try:
                handler(*args)
            except Exception as exc:
                self.error = render.error_text(exc)
                self._say(render.error_html(exc), "error")

        return run

    def _say(self, html: str, showing: str | None) -> None:
        self.result.value = html
        self._showing = showing

    def _clear_stale(self, _: Any) -> None:
        """What the result area said was about the form as it was: clear it. A report stays:
        it is the record of a send, and its download link must not vanish."""
        if self._sending or self.picker.syncing:
            return
        self._clear_progress()
        if self._pending is not None:
            self._pending = None
            self._show_confirm(False)
            self._say(
                render.note_html(
                    "The form changed after Send: nothing was sent. Click Send again to review "
                    "the new plan."
                ),
                "note",
            )
        elif self._showing in ("plan", "error", "note"):
            self.error = None
            self._say("", None)

    def _changed(self, change: dict[str, Any]) -> None:
        if self._sending:
            return
        if change["owner"] in self.picker.inputs:
            self._guard(lambda: self._update_recipients())()
        if change["owner"] is not self.allow_long:
            self._guard(lambda: self._update_message())()
        else:
            self._update_todo()

    def _insert_field(self, change: dict[str, Any]) -> None:
        if change["new"]:
            text = self.body.value
            sep = "" if not text or text.endswith((" ", "\n")) else " "
            self.body.value = f"{text}{sep}{{{change['new']}}}"
            self.merge_field.value = ""

    def _ready(self) -> bool:
        """True when nothing is missing; otherwise the form says what to fill in, in red."""
        problems = self._problems()
        if problems:
            self.error = " ".join(problems)
            self._say(
                render.error_html(ValueError("Fill in first: " + " ".join(problems))), "error"
            )
        return not problems

    def _start(self) -> bool:
        """Clear what the last click showed; False while a send runs or something is missing."""
        if self._sending:
            return False
        self.error = None
        self._pending = None
        self._show_confirm(False)
        self._clear_progress()
        return self._ready()

    def _on_preview(self, _: Any) -> None:
        if not self._start():
            return
        self._say(render.note_html("Planning…"), "note")
        self.plan = self.make_plan()
        self.picker.show_counts(self.plan)
        self._say(render.plan_html(self.plan, self.price), "plan")

    def _on_send(self, _: Any) -> None:
        if not self._start():
            return
        self.plan = self.make_plan()
        self.picker.show_counts(self.plan)
        if self.plan.recipients == 0:
            self.error = "Nothing to send: no row can be sent (see the reasons below)."
            self._say(
                render.error_html(ValueError(self.error)) + render.plan_html(self.plan, self.price),
                "error",
            )
            return
        self._pending = self.plan
        self._say(
            render.confirm_html(self.plan, self.price) + render.plan_html(self.plan, self.price),
            "confirm",
        )
        self._show_confirm(True)

    def _on_confirm(self, _: Any) -> None:
        import ptdata

        plan, self._pending = self._pending, None
        self._show_confirm(False)
        if plan is None:
            # a second click while or after sending: the report (or the bar) stays as it is
            if not self._sending and self._showing not in ("report", "sending"):
                self._say(
                    render.note_html("Nothing is waiting to be sent; click Send first."), "note"
                )
            return
        self.error = None
        self._sending = True
        self._enable(False)
        self._clear_progress()
        self._say(render.note_html(f"Sending {plan.messages:,} messages…"), "sending")
        try:
            self._bar_shown = True
            with self.progress:  # tqdm.auto draws its bar here, inside the form
                self.report = ptdata.send(plan, self.client, rate=self.rate, ledger=self.ledger)
        finally:
            self._sending = False
            self._enable(True)
        self._say(
            render.report_html(self.report, self.report_name, plan=plan, price=self.price), "report"
        )

    def _on_test(self, _: Any) -> None:
        """Send the first recipient's message to the test numbers now; the campaign waits."""
        import ptdata

        if self._sending:
            return
        self.error = None
        self._pending = None
        self._show_confirm(False)
        self._clear_progress()
        problems = self._problems() + [
            p for p in missing_for_test(self.state(), self.now) if p.startswith("Test numbers:")
        ]
        if problems:
            self.error = " ".join(problems)
            self._say(
                render.error_html(ValueError("Fill in first: " + " ".join(problems))), "error"
            )
            return
        asked = (self.state(), self.test_numbers.value)
        last = self._last_test
        if last is not None and last[0] == asked and time.monotonic() - last[1] < _TEST_AGAIN_AFTER:
            return  # the second click of a double-click: that test has just gone
        plan = self.make_plan()
        self._sending = True
        self._enable(False)
        self._say(render.note_html("Sending the test…"), "sending")
        try:
            self.test_report = ptdata.send(
                plan,
                self.client,
                test_to=parse_numbers(self.test_numbers.value),
                rate=self.rate,
                ledger=self.ledger,
                progress=False,
            )
        finally:
            self._sending = False
            self._enable(True)
            self._last_test = (asked, time.monotonic())
        self._say(render.test_html(self.test_report), "test")

    def _enable(self, on: bool) -> None:
        for button in (self.send_button, self.preview_button, self.confirm_button):
            button.disabled = not on
        self.test_button.disabled = not on

    def _on_cancel(self, _: Any) -> None:
        self._pending = None
        self._show_confirm(False)
        self._clear_progress()
        self._say(render.note_html("Cancelled: nothing was sent."), "note")

    # -- read-outs -------------------------------------------------------------------------------

    def _clear_progress(self) -> None:
        if self._bar_shown:  # clearing an empty Output still writes to the terminal
            self.progress.clear_output()
            self._bar_shown = False

    def _show_confirm(self, visible: bool) -> None:
        _show(self.confirm_button, visible)
        _show(self.cancel_button, visible)

    def _refresh_panels(self) -> None:
        source, kind, timing = self.source.value, self.kind.value, self.timing.value
        self.picker.show_panels()
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
        _show(
            self.timezone,
            kind == "reminder"
            or (schedulable and timing == "at")
            or (source == "groups" and quiet_on),
        )
        notes = []
        if kind == "reminder":
            notes.append(
                "A reminder goes out the chosen number of days before the event, at "
                "the time above in this time zone."
            )
        elif kind == "mms":
            notes.append("An MMS goes out right away.")
        elif timing == "local":
            notes.append(
                "Each recipient gets it at this date and time in their own time zone "
                "(from the number, or the sheet's TimeZone, ZIP or State)."
            )
        if quiet_on:
            notes.append(
                "Quiet hours: nothing reaches anyone before 08:00 or after 21:00 their "
                "time (20:00 in some states)"
                + (", checked in the time zone above for groups." if source == "groups" else ".")
            )
        self.timing_note.value = (
            f"<span style='opacity:.7'>{' '.join(notes)}</span>" if notes else ""
        )
        fields = [("—", "")] + [(c, c) for c in self._frame().columns if c != "row"]
        if list(self.merge_field.options) != fields:
            self.merge_field.options = fields
        self._update_todo()

    def _frame(self) -> pd.DataFrame:
        return recipients_frame(self.state(), self.contacts)

    def _update_recipients(self) -> None:
        self.picker.refresh(self._frame())
        self._refresh_panels()

    def _update_message(self) -> None:
        p = self.picker
        self._look = self.preview.show(
            self.body.value,
            footer=self.footer.value,
            frame=p.live,
            labels=p.labels,
            weights=p.weights or None,
            price=self.price,
        )
        long = self._look.too_long
        if long:
            self.allow_long.description = f"Allow a long message ({self._look.longest} segments)"
        elif self.allow_long.value:
            self.allow_long.value = False  # a message that grows long again is asked about again
        _show(self.allow_long, long)
        self._update_todo()

    def _problems(self) -> list[str]:
        state = self.state()
        problems = missing(state, self.now)
        look = self._look
        if look.over_limit:
            footer = " with the opt-out footer" if state.opt_out_footer else ""
            problems.append(
                f"Message: it is {look.chars:,} characters{footer}; carriers refuse "
                f"texts over {MAX_CHARS:,}: shorten it by {look.chars - MAX_CHARS:,}."
            )
        elif look.too_long and not state.allow_long:
            n = look.longest
            problems.append(
                f"Message: it is {n} segments long (more than {MAX_SEGMENTS} is "
                f"billed as {n} texts to each recipient): shorten it, or tick "
                f"“Allow a long message ({n} segments)”."
            )
        return problems

    def _update_todo(self) -> None:
        if not hasattr(self, "todo"):
            return  # still building
        self.todo.value = render.todo_html(self._problems())
