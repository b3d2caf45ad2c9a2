"""Command-line reports: `report declines (--from DATE --to DATE | --quarter YYYYQn)
[--csv FILE | --pdf FILE]` and `report outcomes --quarter YYYYQn [--pdf FILE] [--csv FILE]`, and the quarterly contract report as
`report quarterly` and `export quarterly --quarter YYYYQn [--out FILE.pdf|.csv] [--csv FILE] [--pdf FILE]`
(one implementation, `cmd_quarterly`). Listed in keyworker.cli.COMMANDS. Without --csv/--pdf the report is
printed as a table."""

from __future__ import annotations

import argparse
import textwrap
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from keyworker.cli.common import Parser, UsageError, add_overwrite, open_book, refuse_existing
from keyworker.errors import StorageError, ValidationError

SAVED_FILES_WARNING = (
    "A saved CSV or PDF is NOT encrypted: it holds names and health information in plain form. "
    "Save one only when you need to send it, keep it owner-only (it is written with mode 0600), "
    "and delete it once sent."
)


def add(sub: Any, common: argparse.ArgumentParser) -> None:
    s = sub.add_parser("report", help="reports for managers and the Authority (senior or administrator)")
    s.set_defaults(handler=cmd_report)
    kinds = s.add_subparsers(dest="report_kind", metavar="WHAT", parser_class=Parser, required=True)
    d = kinds.add_parser(
        "declines",
        parents=[common],
        help="declined referrals and their reasons for a period (specification 4.1.2.3)",
        description="Declined referrals decided in a period, with the reasons in full, counted by reason, "
        "by referrer organisation and by whether the decision came within 5 working days. Dates may be "
        "written dd/mm/yyyy or yyyy-mm-dd; quarters are calendar quarters (2026Q1 is January to March). "
        + SAVED_FILES_WARNING,
    )
    when = d.add_mutually_exclusive_group(required=True)
    when.add_argument("--quarter", metavar="YYYYQn", help="a calendar quarter, e.g. 2026Q1 (1 Jan to 31 Mar)")
    when.add_argument("--from", dest="from_date", metavar="DATE",
                      help="first day of the period, e.g. 01/01/2026 (with --to)")
    d.add_argument("--to", dest="to_date", metavar="DATE", help="last day of the period, included, e.g. 31/03/2026")
    out = d.add_mutually_exclusive_group()
    out.add_argument("--csv", type=Path, metavar="FILE",
                     help="save as a CSV spreadsheet (UTF-8, opens in Excel); plaintext, owner-only")
    out.add_argument("--pdf", type=Path, metavar="FILE", help="save as an A4 PDF report; plaintext, owner-only")
    add_overwrite(d, "the CSV or PDF file")
    o = kinds.add_parser(
        "outcomes",
        parents=[common],
        help="the quarterly outcomes report: Outcome Star, TOP and satisfaction surveys (11.1.4-11.1.12)",
        description="The unit's outcomes for a calendar quarter (2026Q3 is July to September): residents "
        "with Outcome Star readings, the mean change per area and the share improved, TOP compliance "
        "against the 90% target and the mean change in the 0-20 scales and in days of use, and the "
        "satisfaction surveys. Unit figures only, no names. Give --pdf, --csv or both to save files. "
        "A saved file is NOT encrypted: it is written owner-only (mode 0600); delete it once sent.",
    )
    o.add_argument("--quarter", metavar="YYYYQn", required=True,
                   help="a calendar quarter, e.g. 2026Q3 (1 Jul to 30 Sep)")
    o.add_argument("--csv", type=Path, metavar="FILE",
                   help="save as a CSV spreadsheet, one row per figure (section, measure, value); owner-only")
    o.add_argument("--pdf", type=Path, metavar="FILE", help="save as an A4 PDF report; owner-only")
    add_overwrite(o, "the CSV or PDF file")
    add_quarterly(kinds, common, "quarterly")


QUARTERLY_HELP = "the quarterly contract report: referrals, admissions, reviews, discharges, follow-ups, outcomes, " \
                 "incidents and protected characteristics, with shares"


def add_quarterly(kinds: Any, common: argparse.ArgumentParser, name: str) -> None:
    """`report quarterly` and `export quarterly`: the same options and one handler."""
    qp = kinds.add_parser(
        name, parents=[common], help=QUARTERLY_HELP,
        description="The quarterly contract report for a calendar quarter (2026Q3 is July to September): every "
        "figure with its count and share (docs/RETURNS.md, The quarterly report). Unit figures only, no names. "
        "Without a file it is printed. A saved file is NOT encrypted: it is written owner-only (mode 0600).")
    qp.add_argument("--quarter", metavar="YYYYQn", required=True, help="a calendar quarter, e.g. 2026Q3")
    qp.add_argument("--out", type=Path, metavar="FILE", help="save as PDF or CSV by the file's ending (.pdf, .csv)")
    qp.add_argument("--csv", type=Path, metavar="FILE", help="save as CSV, one row per figure; owner-only")
    qp.add_argument("--pdf", type=Path, metavar="FILE", help="save as an A4 PDF report; owner-only")
    add_overwrite(qp, "the CSV or PDF file")
    qp.set_defaults(handler=cmd_quarterly)


def print_quarterly(report: Any) -> None:
    print(f"Quarterly contract report: {report.period.label}")
    last = None
    for f in report.figures:
        if f.section != last:
            print()
            print(f"{f.section}:")
            last = f.section
        name = f"{f.group}: {f.name}" if f.group else f.name
        count = "-" if f.count is None else str(f.count)
        share = f"  of {f.denominator}  {f.share_text or '-'}" if f.denominator is not None else ""
        mean = f"  (mean {f.value})" if f.value else ""
        print(f"  {name[:64]:<64} {count:>6}{share}{mean}")


def cmd_quarterly(args: argparse.Namespace) -> int:
    period = _quarter_arg(args.quarter)
    csv_path, pdf_path = args.csv, args.pdf
    if args.out is not None:
        ending = args.out.suffix.lower()
        if ending not in (".csv", ".pdf"):
            raise UsageError("--out: give a file name ending in .pdf or .csv")
        if (ending == ".csv" and csv_path) or (ending == ".pdf" and pdf_path):
            raise UsageError(f"--out and --{ending[1:]} both name the {ending[1:].upper()} file: give one")
        csv_path, pdf_path = (args.out, pdf_path) if ending == ".csv" else (csv_path, args.out)
    targets = [t for t in (csv_path, pdf_path) if t is not None]
    for target in targets:  # before the report is made and audited
        if not target.parent.exists():
            raise StorageError(f"the folder {target.parent} does not exist")
        refuse_existing(target, args.overwrite)
    if csv_path is not None and pdf_path is not None and csv_path.resolve() == pdf_path.resolve():
        raise UsageError("give the CSV and the PDF different file names")
    from keyworker.reports.files import write_private

    book = open_book(args)
    try:
        if not targets:
            print_quarterly(book.reports.quarterly(period))
            return 0
        if csv_path is not None:
            write_private(csv_path, book.reports.quarterly_csv(period))
            print(f"Quarterly report, {period.label}: CSV saved to {csv_path}")
        if pdf_path is not None:
            write_private(pdf_path, book.reports.quarterly_pdf(period))
            print(f"Quarterly report, {period.label}: PDF saved to {pdf_path}")
    finally:
        book.close()
    print("These files are not encrypted: keep them safe and delete them once sent." if len(targets) > 1 else
          "This file is not encrypted: keep it safe and delete it once it has been sent.")
    return 0


def _quarter_arg(text: str) -> Any:
    """--quarter as a Period; a quarter written wrongly is a usage error in the option's words."""
    from keyworker.reports import quarter

    try:
        return quarter(text)
    except ValidationError as e:
        raise UsageError("; ".join(f"--{k}: {v}" if k else v for k, v in e.fields.items())) from e


def _period(args: argparse.Namespace) -> Any:
    from keyworker.reports import between, quarter

    if args.quarter is not None:
        if args.to_date is not None:
            raise UsageError("give either --quarter or --from and --to, not both")
        return quarter(args.quarter)
    if args.to_date is None:
        raise UsageError("--from needs --to (the last day of the period)")
    return between(args.from_date, args.to_date)


def print_table(report: Any) -> None:
    from keyworker.clock import format_date

    print(f"Declined referrals: {report.period.label}")
    print(f"Declined: {report.total}   In time (5 working days): {report.in_time}   Late: {report.late}")
    if not report.rows:
        print("No referrals were declined in this period.")
        return
    print()
    print("By reason:")
    for label, n in report.by_reason:
        print(f"  {n:>4}  {label}")
    print("By referrer organisation:")
    for org, n in report.by_organisation:
        print(f"  {n:>4}  {org}")
    print()
    head = f"{'Received':<10}  {'Decided':<10}  {'In time':<7}  {'Name':<26}  Reason"
    print(head)
    print("-" * 96)
    for r in report.rows:
        print(f"{format_date(r.received_at):<10}  {format_date(r.decided_at):<10}  "
              f"{'yes' if r.in_time else 'LATE':<7}  {r.name[:26]:<26}  {r.reason_category_label}")
        print(f"    Referrer: {r.referrer_name}, {r.organisation}")
        for line in textwrap.wrap(r.reasons, 92):
            print(f"    {line}")


def print_outcomes(report: Any) -> None:

    print(f"Quarterly outcomes report: {report.period.label}")
    last = ""
    for section, measure, value in report.figures():
        if section != last:
            print()
            print(f"{section}:")
            last = section
        print(f"  {measure:<62} {value or '-'}")


def cmd_outcomes(args: argparse.Namespace) -> int:
    period = _quarter_arg(args.quarter)
    targets = [t for t in (args.csv, args.pdf) if t is not None]
    for target in targets:  # before the report is made and audited
        if not target.parent.exists():
            raise StorageError(f"the folder {target.parent} does not exist")
        refuse_existing(target, args.overwrite)
    if args.csv is not None and args.pdf is not None and args.csv.resolve() == args.pdf.resolve():
        raise UsageError("give --csv and --pdf different file names")
    output = "pdf" if args.pdf else "csv" if args.csv else "view"
    book = open_book(args)
    try:
        report = book.reports.outcomes(period, output=output)
        unit_name = book.reports.unit_name()
    finally:
        book.close()
    if not targets:
        print_outcomes(report)
        return 0
    from keyworker.reports.files import write_private

    if args.csv is not None:
        from keyworker.reports import outcomes_report_csv

        write_private(args.csv, outcomes_report_csv(report))
        print(f"Outcomes report, {period.label}: CSV saved to {args.csv}")
    if args.pdf is not None:
        from keyworker.documents.outcomes_report import outcomes_report_pdf

        write_private(args.pdf, outcomes_report_pdf(report, unit_name, datetime.now(UTC)))
        print(f"Outcomes report, {period.label}: PDF saved to {args.pdf}")
    print("These files are not encrypted: keep them safe and delete them once sent." if len(targets) > 1 else
          "This file is not encrypted: keep it safe and delete it once it has been sent.")
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    if getattr(args, "report_kind", None) == "outcomes":
        return cmd_outcomes(args)
    if getattr(args, "report_kind", None) == "quarterly":
        return cmd_quarterly(args)
    try:
        period = _period(args)
    except ValidationError as e:  # named by their options: "--from: '31/02' is not a date (...)"
        raise UsageError("; ".join(f"--{k}: {v}" if k else v for k, v in e.fields.items())) from e
    target: Path | None = args.csv or args.pdf
    if target is not None and not target.parent.exists():  # before the report is made and audited
        raise StorageError(f"the folder {target.parent} does not exist")
    if target is not None:
        refuse_existing(target, args.overwrite)
    output = "csv" if args.csv else "pdf" if args.pdf else "view"
    book = open_book(args)
    try:
        report = book.reports.declines(period, output=output)
        unit_name = book.reports.unit_name()
    finally:
        book.close()
    if target is None:
        print_table(report)
        return 0
    if args.csv:
        from keyworker.reports import declines_report_csv

        content = declines_report_csv(report)
    else:
        from keyworker.documents.declines_report import declines_report_pdf

        content = declines_report_pdf(report, unit_name, datetime.now(UTC))
    from keyworker.reports.files import write_private

    write_private(target, content)
    print(f"{report.total} declined referral{'s' if report.total != 1 else ''}, {period.label}: saved to {target}")
    print("This file is not encrypted: keep it safe and delete it once it has been sent.")
    return 0

