"""The seeds' support refund agent, complete: tools, policy, datasets and two brains.

`agent.py` builds it (`AGENT`: the offline static workflow; `build_llm_agent()`: the same
capabilities through a model). See docs/refund_agent.md.
"""
