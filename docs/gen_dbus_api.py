#!/usr/bin/env python3
"""Writes docs/dbus-api.md from the introspection XML, the polkit policy and the error names.

The XML comments are the contract's prose: the one before <node> describes the
interface, the one before a member describes that member. Errors and polkit
actions are read out of that prose (full names, or the short names the XML uses
such as "Busy"), so the document lists them per member without a second source
that could drift.

usage: gen_dbus_api.py OUTPUT POLICY BUS_ERRORS_H XML...
"""
import re
import sys
import xml.etree.ElementTree as ET

# "StartVM: resolve ref, then as dev.banger.banger1.VM.Start": a by-name method.
FORWARD = re.compile(r"\bas (dev\.banger\.banger1\.[A-Z]\w*\.[A-Z]\w*)")
ERROR_NAME = re.compile(r'"((?:dev\.banger\.banger1|org\.freedesktop\.DBus)\.Error\.\w+)"')


def known_errors(bus_errors_h):
    with open(bus_errors_h, encoding="utf-8") as f:
        names = ERROR_NAME.findall(f.read())
    # The XML often says "Busy" for dev.banger.banger1.Error.Busy.
    return {name.rsplit(".", 1)[1]: name for name in names}


def known_actions(policy):
    root = ET.parse(policy).getroot()
    return [a.get("id") for a in root.iter("action")]


def clean(comment):
    lines = [line.strip() for line in comment.strip().splitlines()]
    return "\n".join(line for line in lines)


def errors_in(text, errors):
    found = []
    for short, full in errors.items():
        if re.search(r"(?<![\w.])" + re.escape(short) + r"(?!\w)", text) or full in text:
            found.append(full)
    return sorted(set(found))


def actions_in(text, actions):
    # Longest first, so manage-own-vms is not also counted as manage-vms.
    found = []
    rest = text
    for action in sorted(actions, key=len, reverse=True):
        if action in rest:
            found.append(action)
            rest = rest.replace(action, "")
    return sorted(found)


def signature(element, direction=None):
    args = []
    for arg in element.findall("arg"):
        if direction and arg.get("direction", "in") != direction:
            continue
        args.append(f"{arg.get('type')} {arg.get('name', '')}".strip())
    return ", ".join(args)


def members_with_comments(interface):
    """(element, its comment) for every method, signal and property, in file order."""
    comment = ""
    for child in interface:
        if child.tag is ET.Comment:
            comment = child.text or ""
            continue
        if child.tag in ("method", "signal", "property"):
            yield child, comment
        comment = ""


def interface_comment(xml_text):
    m = re.search(r"<!--(.*?)-->\s*<node", xml_text, re.S)
    return clean(m.group(1)) if m else ""


def document(xml_file, errors, actions):
    with open(xml_file, encoding="utf-8") as f:
        text = f.read()
    parser = ET.XMLParser(target=ET.TreeBuilder(insert_comments=True))
    root = ET.fromstring(text, parser=parser)
    out = []
    about = interface_comment(text)
    shared_errors = []
    m = re.search(r"Errors every method may answer:(.*?)(?:\n\s*\n|$)", about, re.S)
    if m:
        shared_errors = errors_in(m.group(1), errors)
    default_actions = actions_in(about, actions)
    for interface in root.findall("interface"):
        name = interface.get("name")
        out.append(f"## `{name}`\n")
        out.append("```\n" + about + "\n```\n")
        members = list(members_with_comments(interface))
        methods = [(e, c) for e, c in members if e.tag == "method"]
        signals = [(e, c) for e, c in members if e.tag == "signal"]
        properties = [(e, c) for e, c in members if e.tag == "property"]
        if methods:
            out.append("### Methods\n")
        for e, c in methods:
            ins, outs = signature(e, "in"), signature(e, "out")
            ret = f" → ({outs})" if outs else ""
            out.append(f"#### `{name}.{e.get('name')}`\n")
            out.append(f"`{e.get('name')}({ins}){ret}`\n")
            if c.strip():
                out.append(clean(c) + "\n")
            own = actions_in(c, actions)
            polkit = own or default_actions
            note = "" if own else " (the interface's rule above)" if polkit else ""
            forwarded = FORWARD.search(c)
            if forwarded and not own:
                out.append(f"- polkit: as `{forwarded.group(1)}`")
            else:
                out.append("- polkit: " + (", ".join(f"`{a}`" for a in polkit) + note if polkit else "none"))
            errs = sorted(set(errors_in(c, errors) + shared_errors))
            listed = ", ".join(f"`{x}`" for x in errs)
            if forwarded:
                # The by-name methods answer the ref's resolution errors (the interface's text) first.
                listed = f"those of `{forwarded.group(1)}`, and the name's resolution errors above" + (
                    ", " + listed if listed else "")
            out.append("- errors: " + (listed or "none"))
            out.append("")
        if signals:
            out.append("### Signals\n")
        for e, c in signals:
            out.append(f"#### `{name}.{e.get('name')}`\n")
            out.append(f"`{e.get('name')}({signature(e)})`\n")
            if c.strip():
                out.append(clean(c) + "\n")
        if properties:
            out.append("### Properties\n")
            out.append("| property | type | access | PropertiesChanged | about |")
            out.append("|---|---|---|---|---|")
        for e, c in properties:
            emits = "yes"
            for a in e.findall("annotation"):
                if a.get("name") == "org.freedesktop.DBus.Property.EmitsChangedSignal":
                    emits = {"const": "no (constant)", "false": "no", "invalidates": "invalidates"}.get(
                        a.get("value"), "yes")
            about_property = " ".join(clean(c).split()).replace("|", "\\|")
            out.append(f"| `{name}.{e.get('name')}` | `{e.get('type')}` | {e.get('access')} | {emits} | {about_property} |")
        out.append("")
    return "\n".join(out)


def main():
    if len(sys.argv) < 5:
        sys.exit(__doc__)
    output, policy, bus_errors_h, xmls = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    errors = known_errors(bus_errors_h)
    actions = known_actions(policy)
    parts = [
        "# banger D-Bus API\n",
        "Generated at build time from `interfaces/*.xml`, `polkit/dev.banger.banger1.policy` and "
        "`interfaces/include/banger/bus_errors.h`; do not edit. Bus name `dev.banger.banger1` on the "
        "system bus. Object paths: `/dev/banger/banger1` (Manager, ObjectManager), "
        "`/dev/banger/banger1/vm/<id>`, `…/image/<id>`, `…/network/<name>`, `…/operation/<n>` "
        "(each id escaped with `sd_bus_path_encode`).\n",
        "## Errors\n",
        "| name | short name used below |",
        "|---|---|",
    ]
    parts += [f"| `{full}` | {short} |" for short, full in sorted(errors.items())]
    parts += ["", "## Polkit actions\n"]
    parts += [f"- `{a}`" for a in actions]
    parts.append("")
    for xml in sorted(xmls, key=lambda x: (not x.endswith("Manager.xml"), x)):
        parts.append(document(xml, errors, actions))
    with open(output, "w", encoding="utf-8") as f:
        f.write("\n".join(parts))


if __name__ == "__main__":
    main()
