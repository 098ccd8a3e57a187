-- Migration 0007: cascading (root → branch → leaf), as pgq_node does it.
--
-- A branch is a subscriber that also serves subscribers of its own: it
-- keeps a copy of its provider's queue. Its consumer writes every event of
-- a batch into the branch's queue in the transaction that applies the
-- batch (same event ids), and once that has committed writes the batch's
-- end tick into the branch's queue with the provider's tick id, time and
-- event sequence (queue_external_ticker). Tick ids therefore mean the same
-- position on every node of the queue, which is what change-provider and
-- takeover rely on.
--
-- Every node keeps a copy of the member list (the root's is the original;
-- subscribers copy their provider's after each consumer run), with each
-- member's provider, so that any node can draw the tree and a branch can
-- take over from a dead root.
alter table lambdiste.node drop constraint node_node_type_check;
alter table lambdiste.node add constraint node_node_type_check check (node_type in ('root', 'branch', 'leaf'));

alter table lambdiste.member drop constraint member_member_type_check;
alter table lambdiste.member add constraint member_member_type_check check (member_type in ('root', 'branch', 'leaf'));
-- The member's provider (node name); NULL for the root.
alter table lambdiste.member add column member_provider text;
-- tag-dead: the node is gone; it is left out of status and never waited for.
alter table lambdiste.member add column member_dead boolean not null default false;

-- Before cascading every subscriber read from the root.
update lambdiste.member m
   set member_provider = r.member_name
  from lambdiste.member r
 where r.member_queue = m.member_queue and r.member_type = 'root' and m.member_type <> 'root';
