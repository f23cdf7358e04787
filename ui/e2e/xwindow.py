"""The X window a person sees, as a window manager would handle it (the end-to-end runs have none).

usage: xwindow.py close TITLE   asks the window to close (WM_DELETE_WINDOW, the title bar's ×)
       xwindow.py state TITLE   prints "shown" or "hidden"
Run with Debian's /usr/bin/python3 (python3-xlib).
"""

import sys

from Xlib import X, display, protocol


def windows(d, title):
    """Top-level client windows whose WM_NAME is `title`."""
    found = []
    stack = [d.screen().root]
    while stack:
        w = stack.pop()
        try:
            if w.get_wm_name() == title:
                found.append(w)
            stack.extend(w.query_tree().children)
        except Exception:  # a window that went away while walking
            continue
    return found


def main():
    action, title = sys.argv[1], sys.argv[2]
    d = display.Display()
    found = windows(d, title)
    if action == "state":
        shown = any(w.get_attributes().map_state == X.IsViewable for w in found)
        print("shown" if shown else "hidden")
        return 0
    protocols = d.intern_atom("WM_PROTOCOLS")
    delete = d.intern_atom("WM_DELETE_WINDOW")
    asked = 0
    for w in found:
        if delete not in (w.get_wm_protocols() or []):
            continue
        event = protocol.event.ClientMessage(window=w, client_type=protocols, data=(32, [delete, X.CurrentTime, 0, 0, 0]))
        w.send_event(event, event_mask=X.NoEventMask)
        asked += 1
    d.sync()
    if not asked:
        print(f"no window titled {title!r} takes WM_DELETE_WINDOW", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
