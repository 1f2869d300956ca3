def parse_page_range(text, length):
    """Parse a page range such as '1:3' or '-1' into a slice of pages."""
    text = text.strip()
    if not text:
        raise ValueError("empty page range")
    parts = text.split(":")
    if len(parts) > 3:
        raise ValueError(f"too many colons in {text!r}")
    numbers = []
    for part in parts:
        if part == "":
            numbers.append(None)
        else:
            numbers.append(int(part))
    if len(numbers) == 1:
        start = numbers[0]
        if start < 0:
            start += length
        return slice(start, start + 1)
    start, stop = numbers[0], numbers[1]
    step = numbers[2] if len(numbers) == 3 else None
    return slice(start, stop, step)


def tiny():
    pass


def also_tiny():
    return 1
