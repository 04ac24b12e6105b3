"""The accessibility statement (GOV.UK model form), shown by the app and copied in the README.

Public sector bodies must publish one for their web tools, intranet ones included (Public
Sector Bodies (Websites and Mobile Applications) Accessibility Regulations 2018). A council
running gapmap adds its own contact details where the statement says so.
"""

from __future__ import annotations

TESTED_ON = "3 December 2026"
"""When the app was last checked (axe-core scan, keyboard-only journeys, 320 px and 200% zoom)."""

KNOWN_ISSUES: tuple[tuple[str, str], ...] = (
    (
        "The map itself is a picture drawn on a canvas.",
        "A screen reader cannot read the areas on the map. Everything the map shows is also in the table of "
        "every area under it (sortable by any column), with a one-sentence summary above it, and everything "
        "a click does has a keyboard way: a list of areas on *Where care is short*, a postcode or ward name "
        "box and a list of sites on *Plan recruitment*, a list of providers on *Closures and change*. "
        "Online maps are exempt where this is so (regulation 4(2)(h)).",
    ),
    (
        "Tables are drawn by Streamlit's data grid on a canvas.",
        "The grid can be used with the keyboard (arrow keys move between cells; Enter on a column heading "
        "sorts), but some screen readers read it cell by cell only. Every table can be downloaded as a CSV "
        "file, which opens in a spreadsheet with your own assistive technology.",
    ),
    (
        "The PDF report is not tagged.",
        "It has a title, a language, bookmarks for every page and real, selectable text, but no tag tree "
        "(the structure a screen reader follows). The PowerPoint deck holds the same content as editable "
        "text, tables and pictures with alt text; ask for it if the PDF does not work for you.",
    ),
)
"""What does not comply, and why (each: the problem, what to do instead)."""


def statement(*, known_issues: tuple[tuple[str, str], ...] = KNOWN_ISSUES, tested_on: str = TESTED_ON) -> str:
    """The statement as Markdown (the app's *Accessibility* page and the README's section)."""
    issues = "\n".join(f"- **{problem}** {instead}" for problem, instead in known_issues)
    return f"""
This statement applies to gapmap, the tool that shows where care and support for older people
is short and where to recruit community micro-providers. It is run by your council.

We want as many people as possible to be able to use it. For example, you should be able to:

- change colours, contrast levels and fonts using your browser or device settings
- zoom in up to 400% without the text spilling off the screen, and use it 320 pixels wide
- use the whole tool with a keyboard only: every map click has a keyboard way to do the same
- use it with a screen reader: every map has the same figures as a table and a one-sentence summary
- tell the map's colours apart with any kind of colour blindness: every colour is labelled, and open
  and closed providers differ by shape as well as colour

### How accessible this tool is

We know some parts are not fully accessible:

{issues}

### Feedback and contact information

If you need any part of gapmap in a different format, such as the figures as a spreadsheet, a
large-print or plain-text report, or the slides as an accessible PowerPoint file:

- every page has downloads of its figures (CSV) and, on the story pages, slides (PowerPoint) and a
  report (PDF)
- or contact the person at your council who gave you access to gapmap (the administrator of your
  sign-in), who will reply within 5 working days

### Reporting accessibility problems with this tool

We are always looking to improve the accessibility of gapmap. If you find any problems not listed
on this page or think we are not meeting accessibility requirements, contact your council's
administrator of gapmap, or report it on the gapmap project's issue tracker.

### Enforcement procedure

The Equality and Human Rights Commission (EHRC) is responsible for enforcing the Public Sector Bodies
(Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018 (the 'accessibility
regulations'). If you are not happy with how we respond to your complaint, contact the Equality
Advisory and Support Service (EASS).

### Technical information about this tool's accessibility

Your council is committed to making its websites and tools accessible, in accordance with the Public
Sector Bodies (Websites and Mobile Applications) (No. 2) Accessibility Regulations 2018.

#### Compliance status

gapmap is partially compliant with the Web Content Accessibility Guidelines version 2.2 AA standard,
due to the non-compliances listed below.

### Non-accessible content

#### Non-compliance with the accessibility regulations

{issues}

#### Content that is not within the scope of the accessibility regulations

Online maps are exempt where the essential information is given in an accessible way. In gapmap
every map's figures are in a sortable table of every area, each map has a one-sentence summary, and
everything a click on the map does can be done from a list or a text box.

### What we are doing to improve accessibility

Every change to gapmap is tested automatically: an axe-core scan of every page for an editor and a
viewer, in normal and presentation mode, and of the offline hand-outs (WCAG 2.2 A and AA rules);
keyboard-only journeys (making and downloading a recruitment plan, stepping through presentation
mode, importing and saving provider records); the pages at 320 pixels wide and at 200% zoom; and the
map colours under simulated protanopia, deuteranopia and tritanopia.

### Preparation of this accessibility statement

This statement was prepared on {tested_on}. It was last reviewed on {tested_on}.

gapmap was last tested on {tested_on} by its developers, with automated checks (axe-core) and
manual and scripted keyboard, zoom and reflow checks, on every page of the app and every hand-out.
"""


STATEMENT = statement()
"""The statement as Markdown."""
