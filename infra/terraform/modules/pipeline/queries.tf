# Saved Athena queries over the crawled silver tables (one table per record type).

locals {
  tables = {
    for dataset in ["shipments", "tracking_events", "invoice_lines"] :
    dataset => "\"${local.glue_database_name}\".\"${var.glue_table_prefix}${dataset}\""
  }

  named_queries = {
    "silver-rows-per-day" = {
      description = "Rows per dataset and dt partition: what has landed in silver."
      query       = <<-SQL
        SELECT 'shipments' AS dataset, dt, count(*) AS row_count FROM ${local.tables.shipments} GROUP BY dt
        UNION ALL
        SELECT 'tracking_events', dt, count(*) FROM ${local.tables.tracking_events} GROUP BY dt
        UNION ALL
        SELECT 'invoice_lines', dt, count(*) FROM ${local.tables.invoice_lines} GROUP BY dt
        ORDER BY dataset, dt
      SQL
    }
    "latest-shipments" = {
      description = "The ten most recent shipments by event time."
      query       = <<-SQL
        SELECT shipment_id, carrier, origin, destination, weight_kg, event_time, dt
        FROM ${local.tables.shipments}
        ORDER BY event_time DESC, shipment_id
        LIMIT 10
      SQL
    }
    "shipment-weight-per-day" = {
      description = "Per day: shipments, lightest and heaviest weight, and distinct shipment ids (approximate)."
      query       = <<-SQL
        SELECT dt, count(*) AS shipments, min(weight_kg) AS min_weight_kg, max(weight_kg) AS max_weight_kg,
               approx_distinct(shipment_id) AS distinct_shipments
        FROM ${local.tables.shipments}
        GROUP BY dt
        ORDER BY dt
      SQL
    }
    "shipments-by-carrier" = {
      description = "Shipments and total weight per carrier."
      query       = <<-SQL
        SELECT carrier, count(*) AS shipments, round(sum(weight_kg), 1) AS total_weight_kg
        FROM ${local.tables.shipments}
        GROUP BY carrier
        ORDER BY shipments DESC
      SQL
    }
    "latest-tracking-status" = {
      description = "Latest known status and city of each shipment."
      query       = <<-SQL
        SELECT shipment_id, status, city, event_time
        FROM (
          SELECT shipment_id, status, city, event_time,
                 row_number() OVER (PARTITION BY shipment_id ORDER BY event_time DESC) AS rn
          FROM ${local.tables.tracking_events}
        )
        WHERE rn = 1
        ORDER BY event_time DESC
        LIMIT 100
      SQL
    }
    "daily-invoice-totals" = {
      description = "Invoices, lines and revenue per day."
      query       = <<-SQL
        SELECT dt, count(DISTINCT invoice_id) AS invoices, count(*) AS lines, round(sum(line_total), 2) AS revenue
        FROM ${local.tables.invoice_lines}
        GROUP BY dt
        ORDER BY dt
      SQL
    }
  }
}
