def test_walk(rest_chat):
    rest_chat.say("español")
    rest_chat.log_in("alex")
    for m in ["¿cuánto debo?", "hola, quiero pagar mi factura", "quiero pagar mi factura", "los dos",
              "tap:Pagar", "tap:Visa", "tap:Confirmar", "mi historial de pagos", "cuándo vence mi prima",
              "quiero pagar", "médico", "tap:Otra", "$5", "la de banco", "tap:Confirmar", "historial de pagos"]:
        if m.startswith("tap:"):
            rest_chat.tap(m[4:])
        else:
            rest_chat.say(m)
        print(">>", m, "\n", rest_chat.text, [b["title"] for b in rest_chat.buttons])
    assert 0
