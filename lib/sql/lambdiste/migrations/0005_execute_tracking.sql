-- Migration 0005: execute's tracking (londiste.applied_execute's part).
--
-- On every node, a row per SQL file that `execute` ran here: on the root
-- when the command ran it, on a leaf when its consumer met the file's
-- EXECUTE event in the stream. A file is known by its name and the md5 of
-- its text: the same file is run once per node; a file edited since it ran
-- is another file and runs again.
create table lambdiste.applied_execute (
    exec_queue     text not null,
    exec_file      text not null,
    exec_checksum  text not null,
    exec_sql       text not null,
    exec_time      timestamptz not null default now(),
    primary key (exec_queue, exec_file, exec_checksum)
);
