"""Names of SQS's Query model for the members the JSON model names differently.

Every list and map of SQS is flattened on the Query wire: a list's items repeat under the
item's name (`AttributeName.1`, `<QueueUrl>`), a map's entries under the entry's name with
their key and value inside (`Attribute.1.Name`, `<Attribute><Name>`).
"""

from __future__ import annotations

# Item name of each list member; a batch's entries are named after the action instead
# (`SendMessageBatchRequestEntry`, `<SendMessageBatchResultEntry>`).
LIST_ITEMS = {
    "AttributeNames": "AttributeName",
    "MessageAttributeNames": "MessageAttributeName",
    "MessageSystemAttributeNames": "MessageSystemAttributeName",
    "TagKeys": "TagKey",
    "AWSAccountIds": "AWSAccountId",
    "Actions": "ActionName",
    "Messages": "Message",
    "QueueUrls": "QueueUrl",
    "queueUrls": "QueueUrl",
    "Failed": "BatchResultErrorEntry",
    "Results": "ListMessageMoveTasksResultEntry",
}
# Entry name of each map member, and the names of its key and value.
MAP_ENTRIES = {
    "Attributes": ("Attribute", "Name", "Value"),
    "tags": ("Tag", "Key", "Value"),
    "Tags": ("Tag", "Key", "Value"),
    "MessageAttributes": ("MessageAttribute", "Name", "Value"),
    "MessageSystemAttributes": ("MessageSystemAttribute", "Name", "Value"),
}
# Other entry names a map is accepted under: older AWS SDKs for Java send TagQueue's tags as `Tags.N.Key`.
MAP_ENTRY_ALIASES = {"Tags": "Tags"}
