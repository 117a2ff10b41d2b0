# akscan in a container. Build: docker build -t akscan .
# Run on a repository (mounted read-only at /src):
#   docker run --rm -v "$PWD:/src:ro" akscan git /src
#   docker run --rm -v "$PWD:/src:ro" akscan scan /src --format sarif > akscan.sarif
# tests/test_container.py lints this file and runs its install step in a virtual environment.
FROM python:3.12-slim AS build
WORKDIR /build
COPY pyproject.toml README.md LICENSE ./
COPY scanner ./scanner
COPY rules ./rules
RUN pip wheel --no-cache-dir --wheel-dir /wheels .

FROM python:3.12-slim
RUN apt-get update \
    && apt-get install --yes --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --create-home --uid 10001 akscan
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index --find-links /wheels akscan && rm -rf /wheels
USER akscan
# The mounted repository belongs to another user; git refuses such a folder unless told it is safe.
# akscan only reads, and runs git with its own hardened settings (see SECURITY.md).
RUN git config --global --add safe.directory '*'
WORKDIR /src
ENTRYPOINT ["akscan"]
CMD ["git", "/src"]
