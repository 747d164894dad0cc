-- The access log and the referral timeline are append-only: the database itself refuses UPDATE and DELETE.
-- TRUNCATE (statement level, used by test teardown and disaster recovery) is left to the database owner.
CREATE OR REPLACE FUNCTION referrals_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;

CREATE OR REPLACE TRIGGER referrals_accesslog_append_only BEFORE UPDATE OR DELETE ON referrals_accesslog
  FOR EACH ROW EXECUTE FUNCTION referrals_refuse_change();
CREATE OR REPLACE TRIGGER referrals_referralevent_append_only BEFORE UPDATE OR DELETE ON referrals_referralevent
  FOR EACH ROW EXECUTE FUNCTION referrals_refuse_change();
