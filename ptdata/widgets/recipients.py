"""``RecipientsPicker``: the form's first section, who gets the message.

Search and pick contacts, choose groups (each counts as its members, GetGroups'
ContactsCount) or paste numbers. ``refresh`` finds, with the rules ``plan`` applies (numbers
checked, duplicates, opt-outs), the recipients that can receive the message: the message
preview renders exactly those.

>>> from ptdata.widgets.state import FormState, contacts_frame, recipients_frame
>>> picker = RecipientsPicker(client, contacts_frame(sheet))
>>> picker.refresh(frame)            # the recipients frame the form's state gives
>>> picker.live, picker.labels, picker.weights
(...)
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import ipywidgets as w
import pandas as pd

from ptdata.widgets import render
from ptdata.widgets.state import SOURCE_LABELS

__all__ = ["RecipientsPicker"]


def _hint(text: str) -> w.HTML:
    return w.HTML(f"<span style='opacity:.7;font-size:12px'>{text}</span>")


class RecipientsPicker(w.VBox):
    """Contacts (searchable, several at once), groups or pasted numbers, and how many they are."""

    def __init__(
        self, client: Any, contacts: pd.DataFrame, *, suppress: Any = None, now: Any = None
    ) -> None:
        self.client, self.contacts, self.suppress, self.now = client, contacts, suppress, now
        self.picked: set[str] = set()  # phones picked, also those a search hides
        self.groups: dict[str, Any] = {}  # GroupId → Group
        self.syncing = False  # a search is re-showing the picks: nothing changed
        # who can receive the message now: their rows, how the phone preview names them and
        # how many messages each row is (a group's members)
        self.live = pd.DataFrame()
        self.labels: list[str] = []
        self.weights: list[int] = []

        self.source = w.ToggleButtons(
            options=[(v, k) for k, v in SOURCE_LABELS.items()],
            value="contacts" if len(contacts) else "numbers",
        )
        self.contact_search = w.Text(
            placeholder="Search by name or number", layout=w.Layout(width="60%")
        )
        self.contact_list = w.SelectMultiple(
            options=self._contact_options(""), rows=7, layout=w.Layout(width="95%")
        ).add_class("ptdata-contacts")
        self.select_shown = w.Button(description="Select all shown", icon="check-square")
        self.clear_picked = w.Button(description="Clear", icon="times")
        self.contacts_box = w.VBox(
            [
                w.HBox([self.contact_search, self.select_shown, self.clear_picked]),
                self.contact_list,
                _hint(
                    "Click a contact to pick it; Ctrl-click (⌘-click on a Mac) to add or remove "
                    "one more, Shift-click for a range. “Select all shown” picks everyone the "
                    "search shows."
                ).add_class("ptdata-pick-hint"),
            ]
        )
        self.group_list = w.SelectMultiple(
            options=[], rows=6, layout=w.Layout(width="95%")
        ).add_class("ptdata-groups")
        self.groups_box = w.VBox(
            [
                self.group_list,
                _hint(
                    "Ctrl-click (⌘-click on a Mac) to choose several groups. Each member gets the "
                    "message: the number in brackets is how many."
                ),
            ]
        )
        self.numbers = w.Textarea(
            placeholder="One number per line, e.g. +1 415 555 0123",
            rows=5,
            layout=w.Layout(width="95%"),
        ).add_class("ptdata-numbers")
        self.status = w.HTML().add_class("ptdata-recipients-status")
        super().__init__(
            [self.source, self.contacts_box, self.groups_box, self.numbers, self.status]
        )

    def wire(
        self,
        guard: Callable[[Callable[..., Any]], Callable[..., Any]],
        on_search: Callable[[], None],
    ) -> None:
        """Connect the picker's own handlers (after the form's first observers: see the form)."""
        self.source.observe(guard(self._source_changed), names="value")
        self.contact_search.observe(guard(lambda _: self._search_changed(on_search)), names="value")
        self.contact_list.observe(guard(self._picked_changed), names="value")
        self.select_shown.on_click(guard(lambda _: self._pick_shown(True)))
        self.clear_picked.on_click(guard(lambda _: self._pick_shown(False)))

    @property
    def inputs(self) -> list[w.Widget]:
        """The widgets whose value is part of what gets sent."""
        return [self.source, self.contact_list, self.group_list, self.numbers]

    def show_panels(self) -> None:
        source = self.source.value
        for box, shown in (
            (self.contacts_box, source == "contacts"),
            (self.groups_box, source == "groups"),
            (self.numbers, source == "numbers"),
        ):
            box.layout.display = None if shown else "none"

    # -- who can receive it ----------------------------------------------------------------------

    def refresh(self, frame: pd.DataFrame) -> None:
        """Find the recipients of ``frame`` that can receive a message, and say how many."""
        if self.source.value == "groups":
            chosen = self._chosen_groups()
            self.live = pd.DataFrame({"Groups": pd.Series([g for _, g in chosen], dtype="str")})
            self.labels = [f"Every member of {label}" for label, _ in chosen]
            self.weights = [self.members(gid) for _, gid in chosen]
            self.status.value = render.groups_html([lbl for lbl, _ in chosen], sum(self.weights))
            return
        self.live, self.labels, self.weights = frame.iloc[:0], [], []
        if len(frame) == 0:
            self.status.value = render.recipients_html({"recipients": 0})
            return
        import ptdata

        # the same rules as sending (numbers checked, duplicates, opt-outs), without the network;
        # quiet hours depend on the timing chosen, so the preview and Send judge them
        p = ptdata.plan(
            frame,
            body=".",
            to="numbers",
            suppress=self.suppress,
            skip_invalid=True,
            quiet=None,
            now=self.now,
        )
        keep = (p.frame["status"] == "planned").to_numpy()
        live = p.frame[keep]
        self.live = frame[keep].assign(Phone=live["phone"].to_numpy()).reset_index(drop=True)
        names = (
            live["name"].fillna("").astype("str") + " " + live["last_name"].fillna("").astype("str")
        ).str.strip()
        self.labels = [
            f"{n} · {ph}" if n else ph for n, ph in zip(names, live["phone"], strict=True)
        ]
        self.weights = [1] * len(self.live)
        self.show_counts(p)

    def show_counts(self, plan: Any) -> None:
        """The status line from a plan: recipients (a group's members) and why rows are left out."""
        if self.source.value == "groups":
            self.status.value = render.groups_html(
                [lbl for lbl, _ in self._chosen_groups()], plan.messages
            )
            return
        reasons = plan.frame["skip_reason"].dropna().value_counts()
        counts = {"recipients": plan.messages, **{str(k): int(v) for k, v in reasons.items()}}
        self.status.value = render.recipients_html(counts)

    def members(self, group_id: str) -> int:
        """The group's members (GetGroups' ContactsCount; 1 when it does not say)."""
        count = getattr(self.groups.get(group_id), "contacts_count", None)
        return 1 if count is None else int(count)

    def _chosen_groups(self) -> list[tuple[str, str]]:
        chosen = set(self.group_list.value)
        return [(label, gid) for label, gid in self.group_list.options if gid in chosen]

    # -- handlers --------------------------------------------------------------------------------

    def _source_changed(self, _: Any) -> None:
        if self.source.value == "groups" and not self.groups:
            groups = self.client.groups()
            self.groups = {g.group_id: g for g in groups}
            self.group_list.options = [
                (
                    g.name + ("" if g.contacts_count is None else f" ({g.contacts_count})"),
                    g.group_id,
                )
                for g in groups
            ]

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
        for label, phone in zip(labels, phones, strict=True):
            if phone and phone not in seen:
                seen.add(phone)
                options.append((label, phone))
        return options

    def _search_changed(self, then: Callable[[], None]) -> None:
        self.syncing = True
        try:
            self.contact_list.options = self._contact_options(self.contact_search.value)
            shown = {v for _, v in self.contact_list.options}
            self.contact_list.value = tuple(
                v for _, v in self.contact_list.options if v in self.picked and v in shown
            )
        finally:
            self.syncing = False
        then()

    def _picked_changed(self, change: dict[str, Any]) -> None:
        if self.syncing:
            return
        shown = {v for _, v in self.contact_list.options}
        self.picked = (self.picked - shown) | set(change["new"])

    def _pick_shown(self, pick: bool) -> None:
        shown = [v for _, v in self.contact_list.options]
        if pick:
            self.picked |= set(shown)
            self.contact_list.value = tuple(shown)
        else:
            self.picked.clear()
            self.contact_list.value = ()
