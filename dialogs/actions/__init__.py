"""HealthPay's rasa-sdk actions and form validators: one class per action, named for what the
member asked for. They run in-process through rasa-sdk's ActionExecutor or on a rasa-sdk action
server (`healthpay actions`); either way they reach the service layer through `runtime`."""
