"""Amazon Connect Global Resiliency region pairs (source -> replica)."""

SUPPORTED_PAIRS: frozenset[tuple[str, str]] = frozenset(
    {
        ("us-east-1", "us-west-2"),
        ("us-west-2", "us-east-1"),
        ("eu-west-2", "eu-central-1"),
        ("eu-central-1", "eu-west-2"),
        ("ap-northeast-1", "ap-northeast-3"),
    }
)


def describe_supported_pairs() -> str:
    """The allowed pairs, as an error message can print them."""
    return ", ".join(sorted(f"{source}->{replica}" for source, replica in SUPPORTED_PAIRS))
