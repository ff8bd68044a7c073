"""`python -m devkit dev|customer|teammate-reply|teammate-replies|sandbox ...` (see each command's --help)."""

from __future__ import annotations

import sys

USAGE = """usage: python -m devkit COMMAND [options]

commands:
  dev              run the whole service locally with sandboxes (what `make dev` runs)
  customer TEXT    a customer writes in: sign and post Front's webhook, follow the run
  teammate-reply   a teammate answers a conversation (outbound webhook), follow the run
  teammate-replies N customers write in one category and a teammate answers each draft: trust moves
  sandbox NAME     run one sandbox service on its own (front, stripe, product)
"""


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "dev":
        from devkit.runner import main as dev

        return dev(rest)
    if command in ("customer", "teammate-reply"):
        from devkit.actors import main as act

        return act(command, rest)
    if command == "teammate-replies":
        from devkit.teammates import main as replies

        return replies(rest)
    if command == "sandbox":
        from devkit.sandbox.__main__ import main as sandbox

        return sandbox(rest)
    print(f"unknown command {command!r}\n\n{USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main())
