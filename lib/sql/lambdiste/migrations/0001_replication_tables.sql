-- Migration 0001: placeholder so the replication schema exists; tables come with replication.
select 1;
