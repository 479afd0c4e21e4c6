"""Minimal WSGI apps that calibrate.sh serves with gunicorn.

app:       plain WSGI, a small JSON response
flask_app: the same response from a Flask route (flask.jsonify of a dict)
"""
import json


def app(environ, start_response):
    body = json.dumps({"hello": "world"}).encode()
    start_response(
        "200 OK",
        [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
    )
    return [body]


try:
    from flask import Flask

    flask_app = Flask(__name__)

    @flask_app.get("/")
    def hello():
        return {"hello": "world"}

except ImportError:  # calibrate.sh installs Flask; plain WSGI works without
    flask_app = None
