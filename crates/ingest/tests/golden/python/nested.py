"""Module docstring: geometry helpers."""

import math
from dataclasses import dataclass

ORIGIN = (0, 0)


# A decorated dataclass with a nested class.
@dataclass
class Point:
    """A point in the plane."""

    x: float
    y: float

    class Meta:
        ordering = ("x", "y")

        def describe(self):
            return "ordered by x, then y"

    def norm(self) -> float:
        return math.hypot(self.x, self.y)

    @staticmethod
    def origin() -> "Point":
        return Point(*ORIGIN)

    scale = 1.0

    async def fetch(self, client):
        data = await client.get(self.x)
        return data


def distance(a: Point, b: Point) -> float:
    # Euclidean distance.
    return math.hypot(a.x - b.x, a.y - b.y)


@functools.lru_cache(maxsize=None)
async def cached_lookup(key):
    return await lookup(key)


if __name__ == "__main__":
    print(distance(Point(1, 2), Point(3, 4)))
