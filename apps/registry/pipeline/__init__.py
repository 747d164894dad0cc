"""The NPPES import pipeline, one module a step:

    scan     find the few records of a file that could concern the directory (scan.Scanner)
    parse    turn each into a Row, a Reject or a Seen record (parse.read_record)
             sources.RecordSource: the scan and parse of a file, in this process, in scan workers
             (parallel) or from a remembered scan of the unchanged file (memo)
    diff     decide per physician what changes: plain Python, no database (diff.diff_batch)
    write    write that to the directory in set-based SQL (write.write_plan)

The secondary practice location file (pl_pfile_*.csv, beside the main one in the monthly zip) takes the
same steps: sources.LocationRecords scans it for the rows of physicians the directory lists,
parse.read_location reads each, diff.diff_locations decides per physician which locations are kept,
moved, new or gone, and write.write_locations writes that (nppes.import_locations runs them).

state reads what the directory holds and what the last import remembered; nppes runs the steps over
a file a batch at a time. The public entry points are in apps.registry.services.
"""
