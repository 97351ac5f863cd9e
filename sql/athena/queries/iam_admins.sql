-- Seed 002: which principals can administer IAM?
-- k9's query, with DISTINCT: pathhound's principal access summary has one row per resource a
-- principal administers (and one service-wide row), so a principal appears once per IAM user
-- or role it can administer.
SELECT DISTINCT pas.principal_name, pas.principal_arn, pas.service_name, pas.access_capability
FROM k9.principal_access_summaries_latest as pas
WHERE 1=1
  AND service_name='IAM'
  AND access_capability='administer-resource'
  -- AND customer_id='C123456' AND account_id='123456789012'
ORDER BY pas.principal_name ASC
;
