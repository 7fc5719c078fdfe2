package com.anmeismart.server.load;

import io.gatling.javaapi.core.Simulation;

/**
 * What every simulation here shares: the state the virtual users share through static fields (staff accounts,
 * registration times, client-side intervals) starts empty, so several simulations can run one after another in one
 * JVM (GatlingSmokeIT does), and the client-side intervals are printed at the end. Parameters are instance fields,
 * read from the system properties when Gatling instantiates the simulation.
 */
public abstract class LoadSimulation extends Simulation {

  protected LoadSimulation() {
    Target.startRun();
    Consultant.reset();
    Customer.reset();
    Latencies.reset();
  }

  @Override
  public void after() {
    Latencies.log(getClass().getSimpleName());
  }
}
