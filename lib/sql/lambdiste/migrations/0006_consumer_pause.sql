-- Migration 0006: pause and resume of a leaf's consumer (pgq_node's
-- paused flag). While node_paused is set, no consumer run (worker or
-- consumer function) applies a batch or copies a table for this node.
alter table lambdiste.node add column node_paused boolean not null default false;
