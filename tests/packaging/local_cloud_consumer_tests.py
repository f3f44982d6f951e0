"""The other team's tests, copied beside its app as test_orders.py: the plugin's fixtures, no conftest."""


def test_an_order_is_stored_and_accepted(local_cloud):
    result = local_cloud.run("orders", {"orderId": "o-1", "item": "tea"}, reason="new order")

    assert result.status == "SUCCEEDED", local_cloud.trace(result.execution).render()
    assert result.output == {"accepted": "o-1"}
    (table,) = local_cloud.client("dynamodb").list_tables()["TableNames"]
    items = local_cloud.client("dynamodb").scan(TableName=table)["Items"]
    assert items == [{"orderId": {"S": "o-1"}, "item": {"S": "tea"}}]


def test_a_fault_injected_into_the_put_fails_the_order(local_cloud):
    fault = local_cloud.inject_permanent_fault("orders", "Store the order")

    result = local_cloud.run("orders", {"orderId": "o-2", "item": "tea"}, reason="faulty order")

    assert (result.status, result.error) == ("FAILED", fault.error)
    assert local_cloud.delivered_faults() == [fault]
