-- The nightly pipeline's check: visits and disease rate per day over the last week of data.
SELECT event_date,
       sum(visits) AS visits,
       sum(patients) AS patients,
       round(sum(disease_rate * visits) / sum(visits), 4) AS disease_rate
FROM gold.heart_daily_by_clinic
GROUP BY event_date
ORDER BY event_date DESC
LIMIT 7;
