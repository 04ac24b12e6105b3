# gapmap in a container (README: "Deployment"), after Streamlit's deployment guide:
# https://docs.streamlit.io/deploy/tutorials/docker
#   docker build -t gapmap .
#   docker run -p 8501:8501 -v gapmap-home:/var/lib/gapmap gapmap
# The container listens on every interface, so gapmap refuses to serve until sign-in is set
# up: add users (docker exec … python -m gapmap users add NAME --role admin) or mount a
# .streamlit/secrets.toml with [auth]. Put HTTPS in front (a reverse proxy).
FROM python:3.11-slim

RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# The registry, privacy key and users (unless GAPMAP_REGISTRY names a PostgreSQL database)
# live in GAPMAP_HOME: keep it on a volume and back it up. static/cache holds area outlines.
RUN useradd --system --home-dir /var/lib/gapmap gapmap \
    && mkdir -p /var/lib/gapmap /app/static/cache \
    && chown -R gapmap /var/lib/gapmap /app/static/cache \
    && chmod 0700 /var/lib/gapmap
ENV GAPMAP_HOME=/var/lib/gapmap
VOLUME /var/lib/gapmap
USER gapmap

EXPOSE 8501
HEALTHCHECK CMD curl --fail http://localhost:8501/_stcore/health || exit 1
ENTRYPOINT ["streamlit", "run", "serve.py", "--server.port=8501", "--server.address=0.0.0.0"]
