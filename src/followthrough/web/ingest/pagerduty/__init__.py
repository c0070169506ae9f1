"""PagerDuty Webhooks v3: incidents in, signed with X-PagerDuty-Signature."""
