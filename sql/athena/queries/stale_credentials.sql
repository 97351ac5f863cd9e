-- Seed 002: which principals have stale API access key or password credentials?
-- Active credentials never used, or not used for 90 days before the analysis (change 90 to
-- your policy's threshold). For credentials that were not rotated, see
-- unrotated_credentials.sql.
SELECT p.account_id, p.principal_name, p.principal_arn,
       p.password_state, p.password_last_used,
       p.access_key_1_state, p.access_key_1_last_used,
       p.access_key_2_state, p.access_key_2_last_used
FROM k9.principals_latest as p
WHERE p.principal_type = 'IAMUser'
  AND (
       (p.password_state = 'Active'
        AND (p.password_last_used IS NULL
             OR p.password_last_used < p.analysis_time - INTERVAL '90' DAY))
    OR (p.access_key_1_state = 'Active'
        AND (p.access_key_1_last_used IS NULL
             OR p.access_key_1_last_used < p.analysis_time - INTERVAL '90' DAY))
    OR (p.access_key_2_state = 'Active'
        AND (p.access_key_2_last_used IS NULL
             OR p.access_key_2_last_used < p.analysis_time - INTERVAL '90' DAY))
  )
ORDER BY p.account_id, p.principal_name
;
