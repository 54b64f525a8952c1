-- An invoice is kept once per dossier of the firm it concerns (keep in step
-- with ../sqlite/0016_invoice_side_key.sql).
--
-- Two clients of one firm trading with each other on one platform see the
-- same invoice, under the same platform id: the seller's export has it as
-- emitted, the buyer's as received. Keyed by (platform id, platform, firm)
-- alone, the second was filed under the first one's invoice: the buyer
-- never saw its received flow. The key now carries the dossier (last: the
-- import's lookup still leads with the platform's id, see 0011).
ALTER TABLE invoices DROP CONSTRAINT invoices_platform_key;
ALTER TABLE invoices ADD CONSTRAINT invoices_platform_key
    UNIQUE (platform_invoice_id, platform, firm_id, dossier_id);
