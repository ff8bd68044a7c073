from api.inngest import app


def test_serve_endpoint_answers_inspection(monkeypatch) -> None:
    res = app.test_client().get("/api/inngest")
    assert res.status_code == 200
    body = res.json
    assert body["mode"] == "dev" and "function_count" in body
