package com.anmeismart.server.accounts;

import java.util.Set;

/** The five roles. Registration makes customers only; staff accounts come from the admin API. */
public final class Roles {

  public static final String CUSTOMER = "customer";
  public static final String CONSULTANT = "consultant";
  public static final String DOCTOR = "doctor";
  public static final String OPERATOR = "operator";
  public static final String ADMIN = "admin";

  public static final Set<String> ALL = Set.of(CUSTOMER, CONSULTANT, DOCTOR, OPERATOR, ADMIN);
  public static final Set<String> STAFF = Set.of(CONSULTANT, DOCTOR, OPERATOR, ADMIN);

  private Roles() {
  }
}
