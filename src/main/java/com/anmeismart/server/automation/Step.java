package com.anmeismart.server.automation;

/** The steps of a registration automation job, in order. Names are stored in the step log. */
enum Step {
  CONVERSATION_CREATED("conversation_created"),
  WELCOME_GENERATED("welcome_generated"),
  WELCOME_SENT("welcome_sent"),
  CONSULTANTS_NOTIFIED("consultants_notified");

  final String id;

  Step(String id) {
    this.id = id;
  }
}
