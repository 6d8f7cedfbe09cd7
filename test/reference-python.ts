/**
 * The Python that carries the reference botocore (the AWS CLI's reader) the tests compare with.
 * Debian's python3-botocore lives with /usr/bin/python3; the python3 first on PATH may carry
 * another botocore (a venv, pyenv, Homebrew). CI on macOS and Windows points this at the Python
 * it installed botocore into: REFERENCE_PYTHON=python (or a full path).
 */
export const REFERENCE_PYTHON = process.env.REFERENCE_PYTHON || '/usr/bin/python3';
