package com.anmeismart.server.testing;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Reading what the server stored, for assertions (plain JDBC, independent of the product's code). */
public final class Db {

  private final String pgUrl;

  public Db(String pgUrl) {
    this.pgUrl = pgUrl;
  }

  /** Rows of a query as column → value maps. */
  public List<Map<String, Object>> rows(String sql, Object... params) {
    try (Connection c = TestPg.jdbc(pgUrl); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      try (ResultSet rs = ps.executeQuery()) {
        List<Map<String, Object>> out = new ArrayList<>();
        int n = rs.getMetaData().getColumnCount();
        while (rs.next()) {
          Map<String, Object> row = new LinkedHashMap<>();
          for (int i = 1; i <= n; i++) {
            row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
          }
          out.add(row);
        }
        return out;
      }
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  public Map<String, Object> one(String sql, Object... params) {
    List<Map<String, Object>> rows = rows(sql, params);
    return rows.isEmpty() ? null : rows.get(0);
  }

  public long count(String sql, Object... params) {
    return ((Number) one(sql, params).values().iterator().next()).longValue();
  }

  public int update(String sql, Object... params) {
    try (Connection c = TestPg.jdbc(pgUrl); PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        ps.setObject(i + 1, params[i]);
      }
      return ps.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
