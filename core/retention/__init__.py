"""Retention: the guided cancellation (`cancellation`), the custom plan offered instead
(`custom_plan`), the way back from a cancellation (`way_back`), and what they share
(`records`): the subscription they act on, its dates, the flow's steps and facts. The retention
playbook: its versions and the playbook a flow gets (`playbook`), experiments between versions
(`experiments`), and the offers shown and taken in a flow (`offers`, with their `terms`)."""
