"""``MessagePreview``: the message as its recipients get it, live while it is written.

The counter (characters, encoding, segments, and for how many recipients at what cost), the
first few messages as sent (the opt-out footer included, blank merge values flagged), and a
phone that steps through every recipient's own message. It renders with the same template
and segment rules as ``plan``, so what it shows is what goes out.

>>> labels = frame["Name"].tolist()
>>> preview = MessagePreview()
>>> look = preview.show("Hi {Name}", footer=True, frame=frame, labels=labels)
>>> look.segments, look.longest        # segments in all, and the longest message's
(10, 1)
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import ipywidgets as w
import numpy as np
import pandas as pd

from ptdata.sheets.segments import (
    MAX_CHARS,
    MAX_SEGMENTS,
    OPT_OUT_FOOTER,
    segments_frame,
    sms_segments,
)
from ptdata.sheets.templates import blank_merge_values
from ptdata.sheets.templates import render as render_template
from ptdata.widgets import render

__all__ = ["Look", "MessagePreview"]


@dataclass(frozen=True)
class Look:
    """What the preview found: segments in all, the longest message, and whether it is too long.

    Over ``MAX_SEGMENTS`` a message needs an explicit "allow"; over ``MAX_CHARS`` (the footer
    included) carriers refuse it, allowed or not.
    """

    segments: int = 0
    longest: int = 0  # segments of the longest message
    chars: int = 0  # characters of the longest message, the footer included
    error: str | None = None  # the template cannot be rendered (the counter says why)

    @property
    def too_long(self) -> bool:
        """More segments than ``plan`` sends without being told to (but within carriers' limit)."""
        return self.longest > MAX_SEGMENTS and not self.over_limit

    @property
    def over_limit(self) -> bool:
        """Longer than carriers accept: it must be shortened."""
        return self.chars > MAX_CHARS


class MessagePreview(w.VBox):
    """The counter, the first messages and a phone-style preview of one recipient at a time."""

    def __init__(self, preview_count: int = 3) -> None:
        self.preview_count = preview_count
        self.counter = w.HTML().add_class("ptdata-counter-box")
        self.previews = w.HTML().add_class("ptdata-previews-box")
        self.phone = w.HTML().add_class("ptdata-phone-box")
        self.previous_button = w.Button(
            description="Previous", icon="chevron-left", layout=w.Layout(width="110px")
        ).add_class("ptdata-phone-prev")
        self.next_button = w.Button(
            description="Next", icon="chevron-right", layout=w.Layout(width="110px")
        ).add_class("ptdata-phone-next")
        self.phone_box = w.HBox(
            [
                self.phone,
                w.VBox(
                    [
                        w.HTML("<span style='opacity:.7'>What each recipient's phone shows</span>"),
                        w.HBox([self.previous_button, self.next_button]),
                    ],
                    layout=w.Layout(margin="8px 0 0 12px"),
                ),
            ]
        )
        self.position = 0
        self._messages: list[tuple[str, str, Any, int]] = []  # label, text, blanks, segments
        self.previous_button.on_click(lambda _: self.step(-1))
        self.next_button.on_click(lambda _: self.step(1))
        super().__init__([self.counter, self.previews, self.phone_box])
        self._draw_phone()

    def show(
        self,
        text: str,
        *,
        footer: bool,
        frame: pd.DataFrame | None = None,
        labels: list[str] | None = None,
        weights: Any = None,
        price: Decimal | None = None,
    ) -> Look:
        """Render ``text`` for every row of ``frame`` (the recipients that can receive it).

        ``labels`` name each row on the phone; ``weights`` are the messages each row stands
        for (a group's members; default 1 each).
        """
        frame = pd.DataFrame() if frame is None else frame
        if not text or not len(frame):
            info = sms_segments(text or "", opt_out_footer=footer)
            self.counter.value = render.counter_html(info)
            self.previews.value = ""
            self._set([])
            return Look(info.segments if text else 0, info.segments, info.chars)
        try:
            bodies = render_template(text, frame).reset_index(drop=True)
            blanks = blank_merge_values(text, frame).reset_index(drop=True)
        except ValueError as exc:
            self.counter.value = render.error_html(exc)
            self.previews.value = ""
            self._set([])
            return Look(error=render.error_text(exc))
        seg = segments_frame(bodies, opt_out_footer=footer)["segments"].to_numpy(dtype=np.int64)
        each = np.ones(len(bodies), dtype=np.int64) if weights is None else np.asarray(weights)
        total = int((seg * each).sum())
        sent = (bodies + OPT_OUT_FOOTER) if footer else bodies
        labels = labels or [str(p) for p in frame.get("Phone", pd.Series(range(len(frame))))]
        self._set(list(zip(labels, sent, blanks, seg.tolist(), strict=True)))
        audience = render.audience_text(int(each.sum()), total, price)
        self.counter.value = render.counter_html(
            sms_segments(bodies[0], opt_out_footer=footer),
            rendered=bodies[0] != text,
            audience=audience,
        )
        head = [
            (label, body, blank) for label, body, blank, _ in self._messages[: self.preview_count]
        ]
        fields = [f for f in dict.fromkeys(", ".join(blanks.dropna()).split(", ")) if f]
        self.previews.value = render.previews_html(head) + render.blanks_html(
            int(blanks.notna().sum()), len(blanks), fields
        )
        return Look(total, int(seg.max()), int(sent.str.len().max()))

    def step(self, by: int) -> None:
        """Show the next (``by=1``) or previous (``-1``) recipient's message on the phone."""
        if self._messages:
            self.position = (self.position + by) % len(self._messages)
        self._draw_phone()

    def _set(self, messages: list[tuple[str, str, Any, int]]) -> None:
        self._messages = messages
        self.position = min(self.position, max(len(messages) - 1, 0))
        self._draw_phone()

    def _draw_phone(self) -> None:
        shown = bool(self._messages)
        self.phone_box.layout.display = None if shown else "none"
        self.previous_button.disabled = self.next_button.disabled = len(self._messages) < 2
        if shown:
            label, text, blanks, segments = self._messages[self.position]
            self.phone.value = render.phone_html(
                label, text, self.position, len(self._messages), segments, blanks
            )
        else:
            self.phone.value = ""
