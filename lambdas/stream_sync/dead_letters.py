"""Dead letters: each record that can never be written goes to the SQS queue once, with the reason.

A message names where the full record lives (stream, shard, sequence number: readable from the stream
while its retention lasts) and carries the payload trimmed to fit, so a record of any size fits one SQS
message. Sending is idempotent per record across batch retries: Lambda redelivers everything after the
lowest failed sequence number, poison included. A marker per record in the ledger table (a regional
DynamoDB table, TTL longer than any record can be retried) is read before sending and written after. A
marker that could not be written is remembered by the container (SentLetters) and written by its next
invocation instead of sending again; so a record is sent twice only if an invocation dies between its send
and its marker, or the ledger refuses the marker and the retry runs in another container. An SQS FIFO
queue's deduplication would forget after 5 minutes, shorter than retries with the configured attempts take.
"""

import contextlib
import json
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from records import Record

PREVIEW_CHARS = 16 * 1024
REQUEST_BYTES = 200 * 1024
"""SendMessageBatch counts all its messages against the queue's message size (256 KiB by default)."""
SQS_BATCH_LIMIT, GET_LIMIT, WRITE_LIMIT, ATTEMPTS = 10, 100, 25, 3
LEDGER_KEY = "record"
LEDGER_DAYS = 8
"""Longer than MaximumRecordAgeInSeconds can be (7 days), so a marker outlives every redelivery."""


class LedgerUnavailable(Exception):
    """The ledger could not be read, so it is unknown whether a record was dead-lettered already."""


@dataclass(frozen=True)
class DeadLetter:
    record: Record
    reason: str
    kind: str

    @property
    def ledger_key(self) -> str:
        return f"{self.record.stream}#{self.record.shard}#{self.record.sequence_number}"

    def body(self) -> str:
        data = self.record.data
        return json.dumps(
            {
                "reason": self.reason,
                "kind": self.kind,
                "stream": self.record.stream,
                "shard": self.record.shard,
                "sequenceNumber": self.record.sequence_number,
                "partitionKey": self.record.partition_key[:256],
                "data": data[:PREVIEW_CHARS],
                "dataChars": len(data),
                "truncated": len(data) > PREVIEW_CHARS,
            }
        )


class SentLetters:
    """Letters this container sent whose ledger marker is not written yet (bounded, oldest dropped first):
    a retry of their batch here writes the marker instead of sending them again."""

    def __init__(self, capacity: int = 10_000) -> None:
        self.capacity, self.unmarked = capacity, OrderedDict[str, None]()

    def __contains__(self, ledger_key: str) -> bool:
        return ledger_key in self.unmarked

    def sent(self, ledger_keys: set[str]) -> None:
        for key in ledger_keys:
            self.unmarked[key] = None
        while len(self.unmarked) > self.capacity:
            self.unmarked.popitem(last=False)

    def marked(self, ledger_keys: set[str]) -> None:
        for key in ledger_keys:
            self.unmarked.pop(key, None)


class DeadLetterQueue:
    """SQS for the letters, the ledger table (DynamoDB, low-level client) for sending each only once."""

    def __init__(
        self,
        sqs: Any,
        queue_url: str,
        dynamodb: Any,
        ledger_table: str,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        memory: SentLetters | None = None,
    ) -> None:
        self.sqs, self.queue_url, self.dynamodb, self.ledger_table = sqs, queue_url, dynamodb, ledger_table
        self.clock, self.sleep = clock, sleep
        self.memory = memory if memory is not None else SentLetters()

    def send(self, letters: list[DeadLetter]) -> list[DeadLetter]:
        """Dead-letter each record not sent before; returns the letters that could not be sent (or whose
        ledger could not be read), for the batch to report as failures and retry."""
        unique = list({letter.ledger_key: letter for letter in letters}.values())
        try:
            already = self._marked([letter.ledger_key for letter in unique])
        except (ClientError, BotoCoreError, LedgerUnavailable):  # retry them later rather than duplicate
            return letters
        self.memory.marked(already)
        unmarked = [letter for letter in unique if letter.ledger_key not in already]
        pending = [letter for letter in unmarked if letter.ledger_key not in self.memory]
        unsent = {letter.ledger_key for letter in self._send(pending)}
        sent = {letter.ledger_key for letter in unmarked if letter.ledger_key not in unsent}
        self.memory.sent(sent)
        with contextlib.suppress(ClientError, BotoCoreError):  # the memory keeps what stays unmarked
            self.memory.marked(self._mark([letter for letter in unmarked if letter.ledger_key in sent]))
        return [letter for letter in letters if letter.ledger_key in unsent]

    def _marked(self, keys: list[str]) -> set[str]:
        found: set[str] = set()
        for start in range(0, len(keys), GET_LIMIT):
            request = {
                self.ledger_table: {
                    "Keys": [{LEDGER_KEY: {"S": key}} for key in keys[start : start + GET_LIMIT]],
                    "ConsistentRead": True,
                    "ProjectionExpression": "#k",
                    "ExpressionAttributeNames": {"#k": LEDGER_KEY},
                }
            }
            for attempt in range(ATTEMPTS):
                response = self.dynamodb.batch_get_item(RequestItems=request)
                found.update(item[LEDGER_KEY]["S"] for item in response.get("Responses", {}).get(self.ledger_table, []))
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                self.sleep(0.05 * 2**attempt)
            else:
                raise LedgerUnavailable("the dead-letter ledger left keys unread")
        return found

    def _chunks(self, letters: list[DeadLetter]) -> list[list[tuple[DeadLetter, str]]]:
        chunks: list[list[tuple[DeadLetter, str]]] = [[]]
        size = 0
        for letter in letters:
            body = letter.body()
            if chunks[-1] and (len(chunks[-1]) == SQS_BATCH_LIMIT or size + len(body) > REQUEST_BYTES):
                chunks.append([])
                size = 0
            chunks[-1].append((letter, body))
            size += len(body)
        return [chunk for chunk in chunks if chunk]

    def _send(self, letters: list[DeadLetter]) -> list[DeadLetter]:
        unsent: list[DeadLetter] = []
        for chunk in self._chunks(letters):
            entries = [
                {
                    "Id": str(index),
                    "MessageBody": body,
                    "MessageAttributes": {"kind": {"DataType": "String", "StringValue": letter.kind}},
                }
                for index, (letter, body) in enumerate(chunk)
            ]
            try:
                response = self.sqs.send_message_batch(QueueUrl=self.queue_url, Entries=entries)
            except (ClientError, BotoCoreError):  # the whole chunk is unsent; the batch retries it
                unsent.extend(letter for letter, _ in chunk)
                continue
            unsent.extend(chunk[int(failure["Id"])][0] for failure in response.get("Failed", []))
        return unsent

    def _mark(self, letters: list[DeadLetter]) -> set[str]:
        """Writes the letters' markers; returns the keys marked (a failed request raises)."""
        expires = str(int(self.clock()) + LEDGER_DAYS * 86400)
        marked: set[str] = set()
        for start in range(0, len(letters), WRITE_LIMIT):
            request = {
                self.ledger_table: [
                    {
                        "PutRequest": {
                            "Item": {
                                LEDGER_KEY: {"S": letter.ledger_key},
                                "reason": {"S": letter.reason[:1000]},
                                "expiresAt": {"N": expires},
                            }
                        }
                    }
                    for letter in letters[start : start + WRITE_LIMIT]
                ]
            }
            for attempt in range(ATTEMPTS):
                request = self.dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
                if not request:
                    break
                self.sleep(0.05 * 2**attempt)
            left = {entry["PutRequest"]["Item"][LEDGER_KEY]["S"] for entry in request.get(self.ledger_table, [])}
            marked |= {letter.ledger_key for letter in letters[start : start + WRITE_LIMIT]} - left
        return marked
