"""The Reports page (seniors and administrators): for now, declined referrals (4.1.2.3)."""
