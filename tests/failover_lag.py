"""A controller killed mid-evaluation (Lambda's timeout) is a `LambdaTimeout`, which the controller cannot
catch."""


class LambdaTimeout(BaseException):
    """The function ran out of time: the process stops wherever it is."""
