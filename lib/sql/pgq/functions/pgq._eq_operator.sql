-- Function: pgq._eq_operator(1), pgq._default_opclass(2)
--
--      Internal, for the triggers: how PgQ's C triggers compare a column's
--      old and new values, i.e. the type cache's equality operator: that of
--      the default btree operator class of the type (of its base type, for
--      a domain), else of its default hash class. As PostgreSQL chooses a
--      default class, one for the type itself wins, else the only one for
--      a type it converts to without change (implicitly and binary-coercibly; polymorphic
--      classes for arrays, enums, ranges and composites), preferring its
--      category's preferred type; several such candidates mean none.
--      Arrays (array_eq), composites with a field without equality, and
--      types without such a class (json, point, box, ...) get NULL: the C
--      triggers compare their text instead.
-- Returns:
--      a format() template over the old and new value (%1$s, %2$s), e.g.
--      "%1$s::pg_catalog.text operator(pg_catalog.=) %2$s::pg_catalog.text",
--      or NULL
create or replace function pgq._default_opclass(i_type oid, i_am text, out opcfamily oid, out opcintype oid)
language sql stable strict
set search_path = pg_catalog, pg_temp
as $$
    with b as (select * from pg_type where oid = i_type),
    c as (
        select oc.opcfamily, oc.opcintype, oc.opcintype = b.oid as exact,
               it.typcategory = b.typcategory and it.typispreferred as preferred
          from b, pg_opclass oc
          join pg_am am on am.oid = oc.opcmethod and am.amname = i_am
          join pg_type it on it.oid = oc.opcintype
         where oc.opcdefault
           and (oc.opcintype = b.oid
                or exists (select 1 from pg_cast k where k.castsource = b.oid and k.casttarget = oc.opcintype
                                                     and k.castmethod = 'b' and k.castcontext = 'i')
                or (it.typname = 'anyarray' and b.typelem <> 0 and b.typlen = -1)
                or (it.typname = 'anyenum' and b.typtype = 'e')
                or (it.typname = 'anyrange' and b.typtype = 'r')
                or (it.typname = 'anymultirange' and b.typtype = 'm')
                or (it.typname = 'record' and b.typtype = 'c'))
    )
    select c.opcfamily, c.opcintype from c
     where case when (select count(*) from c where exact) = 1 then c.exact
                when (select count(*) from c where preferred) = 1 then c.preferred
                when (select count(*) from c where preferred) = 0 and (select count(*) from c) = 1 then true
                else false end
$$;

create or replace function pgq._eq_operator(i_type oid)
returns text
language plpgsql stable strict
set search_path = pg_catalog, pg_temp
as $$
declare
    _base oid := i_type;
    _t    record;
    _c    record;
    _op   record;
    _am   text;
    _cast text;
begin
    while (select typtype = 'd' from pg_type where oid = _base) loop
        _base := (select typbasetype from pg_type where oid = _base);
    end loop;
    select * into _t from pg_type where oid = _base;
    foreach _am in array array['btree', 'hash'] loop
        select * into _c from pgq._default_opclass(_base, _am);
        continue when _c.opcfamily is null;
        select o.oid, o.oprname, n.nspname into _op
          from pg_amop a
          join pg_am am on am.oid = a.amopmethod and am.amname = _am
          join pg_operator o on o.oid = a.amopopr
          join pg_namespace n on n.oid = o.oprnamespace
         where a.amopfamily = _c.opcfamily and a.amoplefttype = _c.opcintype and a.amoprighttype = _c.opcintype
           and a.amopstrategy = case _am when 'btree' then 3 else 1 end;
        if not found or _op.oid = '=(anyarray,anyarray)'::regoperator then
            return null;
        end if;
        if _op.oid = '=(record,record)'::regoperator
           and exists (select 1 from pg_attribute a where a.attrelid = _t.typrelid and a.attnum > 0
                          and not a.attisdropped and pgq._eq_operator(a.atttypid) is null) then
            return null;
        end if;
        -- A class for a type the column converts to unchanged: compare as that type.
        _cast := case when _c.opcintype = _base or (select typtype = 'p' from pg_type where oid = _c.opcintype) then ''
                      else (select format('::%I.%I', n.nspname, t.typname) from pg_type t
                              join pg_namespace n on n.oid = t.typnamespace where t.oid = _c.opcintype) end;
        return format('%%1$s%s operator(%I.%s) %%2$s%s', _cast, _op.nspname, _op.oprname, _cast);
    end loop;
    return null;
end;
$$;
