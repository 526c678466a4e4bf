"""Write the flow data of a ChatInput -> ChatOutput graph, as Langflow's own components dump it.

A flow that runs offline (no model, no key): the live-server proof (tests/test_upgrade_repair.py)
gives one to a user before ``lfadmin user transfer`` and has the new owner run it over the API.
The committed output is tests/fixtures/langflow-1.13.0-echo-flow.json; remake it with::

    ~/.cache/lfadmin/langflow/1.13.0/bin/python tests/langflow/make_echo_flow.py > tests/fixtures/langflow-1.13.0-echo-flow.json
"""

from __future__ import annotations

import json
import sys

from lfx.components.input_output import ChatInput, ChatOutput
from lfx.graph import Graph


def main() -> int:
    chat_input, chat_output = ChatInput(), ChatOutput()
    chat_output.set(input_value=chat_input.message_response)
    data = Graph(start=chat_input, end=chat_output).dump(name="Echo")["data"]
    json.dump(data, sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
