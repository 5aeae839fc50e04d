"""Compiled templates shared by every app of a process.

Each Flask app has its own Jinja environment, which compiles a template on first use. A process
that builds many apps (the test suite builds one per test; the CLI builds one per command) would
compile each template again every time; this cache keeps the compiled code by template name and
source checksum, so an edited template is compiled afresh.
"""

from __future__ import annotations

from jinja2.bccache import Bucket, BytecodeCache


class SharedTemplateCode(BytecodeCache):
    """An in-memory Jinja bytecode cache (dict operations are atomic under the GIL)."""

    def __init__(self) -> None:
        self._code: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        code = self._code.get(bucket.key)
        if code is not None:
            bucket.bytecode_from_string(code)  # ignored by Jinja when the source's checksum differs

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = bucket.bytecode_to_string()

    def clear(self) -> None:
        self._code.clear()


TEMPLATE_CODE = SharedTemplateCode()
