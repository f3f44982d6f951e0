"""Mermaid and Graphviz diagrams of state machine definitions."""

from __future__ import annotations

import json
import shutil

import pytest
from workflow_review.diagrams import DiagramError, build_graph, render_images, to_dot, to_mermaid
from workflow_review.diagrams import graphviz as graphviz_module

from tests.unit.tooling import DEFINITIONS

PAYMENT = {
    "StartAt": "Charge the card",
    "States": {
        "Charge the card": {
            "Type": "Task",
            "Resource": "arn:aws:states:::lambda:invoke",
            "Retry": [{"ErrorEquals": ["TransientError"], "MaxAttempts": 6}],
            "Catch": [{"ErrorEquals": ["Payments.Declined", "States.Timeout"], "Next": 'Payment "declined"'}],
            "Next": "Large amount",
        },
        "Large amount": {
            "Type": "Choice",
            "Choices": [
                {
                    "Variable": "$.amount",
                    "NumericGreaterThan": 1000,
                    "Comment": "Over 1000 <EUR>",
                    "Next": "Wait for review",
                }
            ],
            "Default": "Paid",
        },
        "Wait for review": {"Type": "Wait", "Seconds": 3600, "Next": "Paid"},
        "Paid": {"Type": "Succeed"},
        'Payment "declined"': {"Type": "Fail", "Error": "PaymentDeclined"},
    },
}


@pytest.fixture(scope="module")
def order_fulfilment():
    definition = json.loads((DEFINITIONS / "order-fulfilment.json").read_text())
    return build_graph(
        definition, name="order-fulfilment", resource_types={"ReserveFunction1234": "AWS::Lambda::Function"}
    )


def test_mermaid_of_a_small_workflow():
    # GIVEN a retried Task with a Catch, a Choice with a commented branch, a Wait, Succeed and Fail
    # WHEN drawn
    mermaid = to_mermaid(build_graph(PAYMENT, name="payment"))
    # THEN every state has its shape, the Catch is dashed and labelled with its errors, the Choice
    # branches carry their comment and "otherwise", and quotes and angle brackets are escaped
    assert mermaid == (
        "flowchart TD\n"
        '    m_start(("Start"))\n'
        '    s_charge_the_card["Charge the card<br/>lambda:invoke<br/>↻ up to 6 retries"]\n'
        '    s_large_amount{"Large amount"}\n'
        '    s_wait_for_review{{"Wait for review<br/>3600 s"}}\n'
        '    s_paid(["Paid"])\n'
        '    s_payment_declined(["Payment #quot;declined#quot;<br/>error PaymentDeclined"])\n'
        '    m_end(("End"))\n'
        "    m_start --> s_charge_the_card\n"
        "    s_charge_the_card --> s_large_amount\n"
        '    s_charge_the_card -.->|"Payments.Declined, States.Timeout"| s_payment_declined\n'
        '    s_large_amount -->|"Over 1000 #lt;EUR#gt;"| s_wait_for_review\n'
        '    s_large_amount -->|"otherwise"| s_paid\n'
        "    s_wait_for_review --> s_paid\n"
        "    s_paid --> m_end\n"
        "    classDef retried stroke-width:3px\n"
        "    class s_charge_the_card retried\n"
        "    classDef succeed fill:#e3f4e1,stroke:#2e7d32\n"
        "    class s_paid succeed\n"
        "    classDef fail fill:#fbe3e1,stroke:#c62828\n"
        "    class s_payment_declined fail\n"
        "    classDef marker fill:#eeeeee,stroke:#757575\n"
        "    class m_start,m_end marker\n"
    )


def test_map_and_parallel_are_subgraphs_around_what_they_run(order_fulfilment):
    lines = to_mermaid(order_fulfilment).splitlines()
    # The Map: a subgraph titled with its concurrency and its own retry, holding its item processor
    map_start = lines.index(
        "    subgraph s_check_stock_for_every_line "
        '["Check stock for every line (Map, 5 at a time) ↻ up to 2 retries"]'
    )
    assert lines[map_start + 1 : map_start + 6] == [
        '        m_s_check_stock_for_every_line_start(("start"))',
        '        s_look_up_stock["Look up stock<br/>dynamodb:getItem<br/>↻ up to 4 retries"]',
        '        s_wait_for_the_warehouse{{"Wait for the warehouse<br/>30 s"}}',
        '        m_s_check_stock_for_every_line_end(("end"))',
        "    end",
    ]
    # The Parallel: a subgraph with one nested subgraph per branch
    parallel = lines.index('    subgraph s_reserve_and_notify ["Reserve and notify (Parallel)"]')
    assert lines[parallel + 1] == '        subgraph b_s_reserve_and_notify_1 ["Branch 1"]'
    assert (
        "            s_reserve_the_stock"
        '["Reserve the stock<br/>lambda<br/>timeout 60 s<br/>↻ up to 6 retries"]' in lines
    )
    assert '        subgraph b_s_reserve_and_notify_2 ["Branch 2"]' in lines


def test_edges_leave_and_enter_groups_and_catches_are_dashed(order_fulfilment):
    lines = to_mermaid(order_fulfilment).splitlines()
    assert "    s_check_stock_for_every_line --> s_reserve_and_notify" in lines
    assert '    s_reserve_and_notify -.->|"States.ALL"| s_reject_the_order' in lines
    assert (
        '    s_check_the_order -->|"$.lines is present and not ($.status == #quot;CANCELLED#quot;)"| '
        "s_check_stock_for_every_line"
    ) in lines
    assert '    s_check_the_order -->|"Over the credit limit"| s_reject_the_order' in lines
    assert "    s_tell_the_customer --> m_b_s_reserve_and_notify_2_end" in lines


def test_every_node_is_declared_before_the_first_edge(order_fulfilment):
    # Mermaid puts a node into the subgraph where it first appears: edges come after all nodes
    lines = to_mermaid(order_fulfilment).splitlines()
    first_edge = next(i for i, line in enumerate(lines) if "-->" in line or "-.->" in line)
    declared = {line.split("[")[0].split("(")[0].split("{")[0].strip() for line in lines[1:first_edge]}
    assert {node.id for node in order_fulfilment.nodes()} <= declared


def test_retried_steps_inside_groups_are_marked(order_fulfilment):
    lines = to_mermaid(order_fulfilment).splitlines()
    assert "    class s_look_up_stock,s_reserve_the_stock,s_tell_the_customer retried" in lines


def test_ids_stay_unique_when_names_differ_only_in_punctuation():
    definition = {
        "StartAt": "Send e-mail",
        "States": {
            "Send e-mail": {"Type": "Pass", "Next": "Send e mail"},
            "Send e mail": {"Type": "Pass", "Next": "m start"},
            "m start": {"Type": "Pass", "End": True},
        },
    }
    graph = build_graph(definition, name="mail")
    assert [node.id for node in graph.nodes()] == [
        "m_start",
        "s_send_e_mail",
        "s_send_e_mail_2",
        "s_m_start",
        "m_end",
    ]


def test_a_legacy_map_iterator_is_drawn_like_an_item_processor():
    definition = {
        "StartAt": "Each",
        "States": {
            "Each": {
                "Type": "Map",
                "Iterator": {"StartAt": "Do", "States": {"Do": {"Type": "Pass", "End": True}}},
                "End": True,
            }
        },
    }
    mermaid = to_mermaid(build_graph(definition, name="legacy"))
    assert '    subgraph s_each ["Each (Map)"]' in mermaid
    assert "    m_s_each_start --> s_do\n" in mermaid


def test_dot_of_a_small_workflow():
    assert to_dot(build_graph(PAYMENT, name="payment")) == (
        'digraph "payment" {\n'
        '  graph [fontname="Helvetica", compound=true, rankdir=TB, labelloc=t, label="payment"];\n'
        '  node [fontname="Helvetica", fontsize=11];\n'
        '  edge [fontname="Helvetica", fontsize=9];\n'
        '  m_start [label="Start", shape=circle, style="filled", fillcolor="#eeeeee", fontsize=9];\n'
        '  s_charge_the_card [label="Charge the card\\nlambda:invoke\\n↻ up to 6 retries", shape=box, '
        'style="rounded,filled", fillcolor="#ffffff", penwidth=2.5];\n'
        '  s_large_amount [label="Large amount", shape=diamond, style="filled", fillcolor="#fff8e1"];\n'
        '  s_wait_for_review [label="Wait for review\\n3600 s", shape=hexagon, style="filled", '
        'fillcolor="#ffffff"];\n'
        '  s_paid [label="Paid", shape=box, style="rounded,filled", fillcolor="#e3f4e1", color="#2e7d32"];\n'
        '  s_payment_declined [label="Payment \\"declined\\"\\nerror PaymentDeclined", shape=box, '
        'style="rounded,filled", fillcolor="#fbe3e1", color="#c62828"];\n'
        '  m_end [label="End", shape=doublecircle, style="filled", fillcolor="#eeeeee", fontsize=9];\n'
        "  m_start -> s_charge_the_card;\n"
        "  s_charge_the_card -> s_large_amount;\n"
        '  s_charge_the_card -> s_payment_declined [style=dashed, color="#c62828", fontcolor="#c62828", '
        'label="Payments.Declined, States.Timeout"];\n'
        '  s_large_amount -> s_wait_for_review [label="Over 1000 <EUR>"];\n'
        '  s_large_amount -> s_paid [label="otherwise"];\n'
        "  s_wait_for_review -> s_paid;\n"
        "  s_paid -> m_end;\n"
        "}\n"
    )


def test_dot_edges_into_and_out_of_groups_clip_at_the_cluster(order_fulfilment):
    lines = to_dot(order_fulfilment).splitlines()
    assert "  subgraph cluster_s_reserve_and_notify {" in lines
    assert (
        "  m_s_check_stock_for_every_line_end -> m_b_s_reserve_and_notify_1_start "
        "[ltail=cluster_s_check_stock_for_every_line, lhead=cluster_s_reserve_and_notify];"
    ) in lines
    assert (
        "  m_b_s_reserve_and_notify_1_end -> s_reject_the_order [ltail=cluster_s_reserve_and_notify, "
        'style=dashed, color="#c62828", fontcolor="#c62828", label="States.ALL"];'
    ) in lines


def test_images_are_skipped_cleanly_without_graphviz(tmp_path, monkeypatch):
    # GIVEN no `dot` on PATH
    monkeypatch.setattr(graphviz_module.shutil, "which", lambda _name: None)
    # WHEN images are asked for
    result = render_images(build_graph(PAYMENT, name="payment"), tmp_path, stem="payment")
    # THEN the DOT source is written, no image, and the result says why
    assert result.images == ()
    assert result.skipped == "Graphviz `dot` is not installed (apt-get install graphviz)"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["payment.dot"]


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz `dot` is not installed")
def test_images_are_drawn_with_graphviz(tmp_path, order_fulfilment):
    result = render_images(order_fulfilment, tmp_path, stem="order-fulfilment")
    assert [path.name for path in result.images] == ["order-fulfilment.svg", "order-fulfilment.png"]
    assert result.images[0].read_text().lstrip().startswith("<?xml")
    assert result.images[1].read_bytes().startswith(b"\x89PNG")


def test_dot_is_called_once_per_image_format(tmp_path, monkeypatch):
    # GIVEN a stand-in `dot` that records how it was called into the file it is asked to write
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake_dot = bin_dir / "dot"
    fake_dot.write_text('#!/bin/sh\n# args: -T<format> -o <output> <input>\necho "$1 $4" > "$3"\n')
    fake_dot.chmod(0o755)
    monkeypatch.setenv("PATH", str(bin_dir))
    out = tmp_path / "out"
    # WHEN images are drawn
    result = render_images(build_graph(PAYMENT, name="payment"), out, stem="payment")
    # THEN each format is rendered from the DOT file written beside it
    assert result.skipped is None
    assert [image.read_text() for image in result.images] == [
        f"-Tsvg {out / 'payment.dot'}\n",
        f"-Tpng {out / 'payment.dot'}\n",
    ]


def test_a_transition_to_a_missing_state_is_a_named_error():
    definition = {"StartAt": "Start here", "States": {"Start here": {"Type": "Pass", "Next": "Nowhere"}}}
    with pytest.raises(
        DiagramError, match=r"\[Start here\] leads to a state that does not exist: \[Nowhere\]"
    ):
        build_graph(definition, name="broken")
