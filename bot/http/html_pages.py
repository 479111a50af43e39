"""The look of HealthPay's hosted pages: one small layout, inline CSS, no external assets.

Built for a phone first (members arrive from a chat link), readable (16 px text, high contrast,
visible focus), and locked down: a content security policy allowing only this stylesheet and
forms posting back to this site, no framing, no referrer sent to other sites (the URL carries a
one-time token), no caching.
"""

from __future__ import annotations

import base64
import hashlib
from html import escape

from fastapi.responses import HTMLResponse

from bot.http.page_texts import DEFAULT_LANGUAGE, words_for

_CSS = """
:root{--ink:#1b1b1b;--muted:#474747;--accent:#0b4f8a;--accent-dark:#083a66;--error:#b3261e;
--line:#6b6b6b;--page:#eef2f6;--focus:#ffbf47}
*{box-sizing:border-box}
body{margin:0;background:var(--page);color:var(--ink);
font:1rem/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:34rem;margin:0 auto;padding:1rem .75rem 2.5rem}
.brand{font-weight:700;color:var(--accent);margin:.25rem .5rem .75rem;letter-spacing:.01em}
.panel{background:#fff;border-radius:.75rem;padding:1.25rem 1rem;
box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.5rem;line-height:1.25;margin:0 0 .5rem}
h2{font-size:1.2rem;margin:0 0 .75rem}
p{margin:0 0 1rem}
.lead{color:var(--muted)}
.note{background:#fff8e1;border-left:4px solid #8a6d00;padding:.5rem .75rem;font-size:.95rem}
.field{margin-bottom:1rem}
label,legend{display:block;font-weight:600;margin-bottom:.25rem}
fieldset{border:0;padding:0;margin:0 0 1rem;min-width:0}
legend{padding:0}
.hint{color:var(--muted);font-size:.95rem;margin:0 0 .25rem}
.error{color:var(--error);font-weight:600;margin:0 0 .25rem}
input[type=text]{width:100%;min-height:3rem;padding:.6rem .75rem;font:inherit;color:var(--ink);
background:#fff;border:2px solid var(--line);border-radius:.5rem}
input[aria-invalid=true]{border-color:var(--error);border-width:3px}
input:focus,button:focus{outline:3px solid var(--focus);outline-offset:1px}
.row{display:grid;grid-template-columns:1fr 1fr;gap:0 .75rem}
.choices label{display:flex;align-items:center;gap:.5rem;font-weight:400;min-height:2.75rem}
.choices input{width:1.4rem;height:1.4rem;margin:0;accent-color:var(--accent)}
button{display:block;width:100%;min-height:3rem;padding:.75rem 1rem;font:inherit;
font-weight:700;color:#fff;background:var(--accent);border:0;border-radius:.5rem;cursor:pointer}
button:hover{background:var(--accent-dark)}
button.secondary{color:var(--accent);background:#fff;border:2px solid var(--accent);
margin-top:.75rem}
.summary{border:3px solid var(--error);border-radius:.5rem;padding:.75rem 1rem;margin-bottom:1rem}
.summary h2{color:var(--error);font-size:1.1rem;margin:0 0 .25rem}
.summary ul{margin:0;padding-left:1.25rem}
.switch{display:none}
@supports selector(:has(a)){
.switch{display:flex;gap:.5rem;margin:0 0 1.25rem}
.switch input{position:absolute;opacity:0}
.switch label{flex:1;text-align:center;margin:0;padding:.65rem .5rem;border:2px solid var(--accent);
border-radius:.5rem;color:var(--accent);cursor:pointer}
.switch input:checked+label{background:var(--accent);color:#fff}
.switch input:focus-visible+label{outline:3px solid var(--focus);outline-offset:1px}
body:has(#show-bank:checked) #card-form,body:has(#show-card:checked) #bank-form{display:none}
}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0)}
.secure{color:var(--muted);font-size:.9rem;margin:1rem 0 0}
""".strip()

_CSS_HASH = base64.b64encode(hashlib.sha256(_CSS.encode()).digest()).decode()
SECURITY_HEADERS = {
    "Content-Security-Policy": (f"default-src 'none'; style-src 'sha256-{_CSS_HASH}'; "
                                "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    # Not "no-referrer": with it, browsers send `Origin: null` on the page's own form posts.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def html_page(title: str, main: str, *, language: str = DEFAULT_LANGUAGE,
              status_code: int = 200) -> HTMLResponse:
    """A whole page around `main` (already-escaped HTML), in `language` (page_texts)."""
    document = f"""<!doctype html>
<html lang="{escape(language)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{escape(title)} – HealthPay</title>
<style>{_CSS}</style>
</head>
<body>
<main>
<p class="brand">HealthPay</p>
<div class="panel">
{main}
</div>
</main>
</body>
</html>
"""
    return HTMLResponse(document, status_code=status_code, headers=SECURITY_HEADERS)


def message_page(title: str, *paragraphs: str, language: str = DEFAULT_LANGUAGE,
                 status_code: int = 200) -> HTMLResponse:
    """A page that only tells the member something (saved, expired, not found)."""
    text = "\n".join(f"<p>{escape(paragraph)}</p>" for paragraph in paragraphs)
    return html_page(title, f"<h1>{escape(title)}</h1>\n{text}", language=language,
                     status_code=status_code)


def form_refused_page(language: str | None) -> HTMLResponse:
    """A form post without a valid CSRF token: possibly forged, or simply an old page."""
    words = words_for(language, "common")
    return message_page(words("form_refused_title"), words("form_refused"),
                        language=words.language, status_code=403)


def nothing_to_confirm_page(language: str | None) -> HTMLResponse:
    """A 3-D Secure page opened for a payment that no longer waits for confirmation (sandbox and
    Stripe alike): paid, failed or never there."""
    words = words_for(language, "common")
    return message_page(words("nothing_to_confirm_title"), words("nothing_to_confirm"),
                        words("nothing_to_confirm_back"), language=words.language,
                        status_code=410)
