"""Typed SQS errors. The core raises them; each wire maps them to its own error shape.

`code` is the error's short name (the JSON protocol's `__type` suffix) and `query_code`
the code of the Query protocol, which the JSON protocol also sends in `x-amzn-query-error`.
"""

from __future__ import annotations


class SqsError(Exception):
    code = "InternalError"
    query_code = "InternalError"
    status = 500
    sender_fault = False

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    @property
    def query_message(self) -> str:
        """The message on the Query wire, where a few errors read differently."""
        return self.message


class _SenderError(SqsError):
    status = 400
    sender_fault = True


def _error(name: str, query_code: str | None = None, status: int = 400, code: str | None = None) -> type[SqsError]:
    """An error class `name`; `code` is its JSON `__type` when that differs from the class name."""
    return type(name, (_SenderError,), {"code": code or name, "query_code": query_code or name, "status": status})


class QueueDoesNotExist(_SenderError):
    code = "QueueDoesNotExist"
    query_code = "AWS.SimpleQueueService.NonExistentQueue"

    def __init__(self, message: str = "The specified queue does not exist.") -> None:
        super().__init__(message)

    @property
    def query_message(self) -> str:
        # AWS's Query API names its WSDL here; the JSON API does not.
        if self.message == "The specified queue does not exist.":
            return "The specified queue does not exist for this wsdl version."
        return self.message


QueueNameExists = _error("QueueNameExists", "QueueAlreadyExists")
InvalidAttributeName = _error("InvalidAttributeName")
InvalidAttributeValue = _error("InvalidAttributeValue")
InvalidParameterValue = _error("InvalidParameterValue", code="InvalidParameterValueException")
MissingParameter = _error("MissingParameter", code="MissingRequiredParameterException")
InvalidMessageContents = _error("InvalidMessageContents")
ReceiptHandleIsInvalid = _error("ReceiptHandleIsInvalid")
PurgeQueueInProgress = _error("PurgeQueueInProgress", "AWS.SimpleQueueService.PurgeQueueInProgress", status=403)
TooManyEntriesInBatchRequest = _error(
    "TooManyEntriesInBatchRequest", "AWS.SimpleQueueService.TooManyEntriesInBatchRequest"
)
EmptyBatchRequest = _error("EmptyBatchRequest", "AWS.SimpleQueueService.EmptyBatchRequest")
BatchEntryIdsNotDistinct = _error("BatchEntryIdsNotDistinct", "AWS.SimpleQueueService.BatchEntryIdsNotDistinct")
BatchRequestTooLong = _error("BatchRequestTooLong", "AWS.SimpleQueueService.BatchRequestTooLong")
InvalidBatchEntryId = _error("InvalidBatchEntryId", "AWS.SimpleQueueService.InvalidBatchEntryId")
ResourceNotFoundException = _error("ResourceNotFoundException", status=404)
InvalidAddress = _error("InvalidAddress")
InvalidAction = _error("InvalidAction")
MissingAction = _error("MissingAction")
MalformedQueryString = _error("MalformedQueryString", status=404)
SerializationException = _error("SerializationException")
UnknownOperation = _error("UnknownOperationException")


class ServiceUnavailable(SqsError):
    """AWS's common 503 "temporary failure of the server", which SDKs retry: the emulator is stopping."""

    code = "ServiceUnavailable"
    query_code = "ServiceUnavailable"
    status = 503
