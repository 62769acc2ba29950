"""The benchmarks' tables for the docs: a reStructuredText simple table, and its output."""


def rst_table(header, rows):
    """The lines of a simple table of str cells: rule, header, rule, rows, rule (trailing
    spaces stripped)."""
    widths = [max([len(h), *(len(row[i]) for row in rows)]) for i, h in enumerate(header)]
    rule = " ".join("=" * w for w in widths)

    def line(cells):
        return " ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()

    return [rule, line(header), rule, *(line(row) for row in rows), rule]


def publish(text, path=None):
    """Print ``text``, and write it to ``path`` (a file under docs/) where one is given."""
    print(text)
    if path:
        with open(path, "w") as handle:
            handle.write(text)
