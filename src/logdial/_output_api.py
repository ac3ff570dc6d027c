"""The output half of ``LogSystem``'s API: where records go.

``OutputMethods`` is a base of ``LogSystem``: it owns the system's ``_output.Outputs`` (the
choices and the handlers made from them) and tells the system, through ``_on_outputs``,
when the handlers must be made and placed again: after ``set_output``, ``reset_output``, or
when logdial's pytest fixture starts or ends a capture.
"""

from __future__ import annotations

import threading

from ._output import UNSET, Outputs, check_choices, on_capture_change

TYPE_CHECKING = False  # typing is not imported at run time: it costs import time
if TYPE_CHECKING:
    from ._console import Console

__all__ = ["OutputMethods"]


class OutputMethods:
    """
    The output methods of ``LogSystem`` (see its documentation).
    """

    _lock: threading.RLock

    def _init_outputs(self, outputs: Outputs) -> None:
        self._outputs = outputs
        on_capture_change(self._remake_outputs)

    def _on_outputs(self) -> None:
        # The system's, under the lock: make the handlers again and place them, once initialised.
        raise NotImplementedError

    def _remake_outputs(self) -> None:
        with self._lock:
            self._on_outputs()

    def set_output(
        self,
        *,
        console: Console | object = UNSET,
        file: str | object | None = UNSET,
        format: str | object | None = UNSET,  # noqa: A002 (the variable's name)
        propagate: bool | object = UNSET,
    ) -> None:
        """
        Choose where records go; what is given here wins over the environment.

        Args:
            console: ``"stderr"``, ``"stdout"`` or ``"none"``.
            file: a path to append the logs to as well, or ``None`` for no file.
            format: a %-style format, ``"short"``, or ``None`` for the glog-style default.
            propagate: let records go on to the parent loggers (for applications and
                pytest's caplog that handle records themselves; combine with
                ``console="none"`` to avoid printing them twice).

        Raises:
            FormatError: for an invalid format.
            ValueError: for an unknown console.
        """
        given = check_choices(
            console,
            file,
            format,
            propagate,
            check_format=lambda fmt: self._outputs.formatter(fmt, False),
            out_path=self._outputs.out_path,
        )
        with self._lock:
            self._outputs.explicit.update(given)
            self._remake_outputs()

    def reset_output(self) -> None:
        """
        Forget what ``set_output`` chose: the environment (``{P}_LOGS_OUT``,
        ``{P}_LOGS_FORMAT``, ``{P}_LOGS_CONSOLE``) and the defaults choose again.
        """
        with self._lock:
            self._outputs.explicit = {}
            self._remake_outputs()
