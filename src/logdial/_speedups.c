/*
 * logdial._speedups: LazyString written in C.
 *
 * An optional accelerator. The wheel carries it where a C compiler was found at build time
 * (hatch_build.py); without it, logdial._lazy uses its pure-Python LazyString, which
 * behaves the same. The type exists for one cost: building a LazyString for a call that
 * turns out to be disabled. Python cannot build an object that holds a callable and has a
 * __str__ of its own in less than about 70 ns (a functools.partial); this one is built in
 * about a third of that (benchmarks/RESULTS.md).
 *
 * It only holds references: it parses nothing, copies no text and keeps no global state.
 * Only the public C API is used, so one source builds for CPython 3.10 to 3.13.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <structmember.h>

typedef struct {
    PyObject_HEAD
    PyObject *func;   /* the callable */
    PyObject *args;   /* a tuple */
    PyObject *kw;     /* a dict, or NULL until keyword arguments are given or asked for */
    PyObject *dict;   /* the instance's __dict__, made when first used */
    PyObject *weakreflist;
} LazyObject;

static PyTypeObject LazyType;

/* Takes over the references to args and kw (NULL or a non-empty dict). */
static PyObject *
lazy_make(PyTypeObject *type, PyObject *func, PyObject *args, PyObject *kw)
{
    LazyObject *self;

    if (!PyCallable_Check(func)) {
        PyErr_Format(PyExc_TypeError,
                     "LazyString(func, *args, **kwargs): func must be callable, not %.100s",
                     Py_TYPE(func)->tp_name);
        Py_DECREF(args);
        Py_XDECREF(kw);
        return NULL;
    }
    if (type == &LazyType) {
        self = PyObject_GC_New(LazyObject, type);
    }
    else {
        self = (LazyObject *)type->tp_alloc(type, 0);
    }
    if (self == NULL) {
        Py_DECREF(args);
        Py_XDECREF(kw);
        return NULL;
    }
    Py_INCREF(func);
    self->func = func;
    self->args = args;
    self->kw = kw;
    self->dict = NULL;
    self->weakreflist = NULL;
    if (type == &LazyType) {
        PyObject_GC_Track(self);
    }
    return (PyObject *)self;
}

static PyObject *
lazy_missing_func(void)
{
    PyErr_SetString(PyExc_TypeError,
                    "LazyString(func, *args, **kwargs) needs the callable that makes the text");
    return NULL;
}

/* LazyString(func, *args, **kwargs) for the type itself: no tuple of all arguments is built. */
static PyObject *
lazy_vectorcall(PyObject *type, PyObject *const *argv, size_t nargsf, PyObject *kwnames)
{
    Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    Py_ssize_t nkw = kwnames == NULL ? 0 : PyTuple_GET_SIZE(kwnames);
    PyObject *args, *kw = NULL;
    Py_ssize_t i;

    if (nargs < 1) {
        return lazy_missing_func();
    }
    args = PyTuple_New(nargs - 1);
    if (args == NULL) {
        return NULL;
    }
    for (i = 1; i < nargs; i++) {
        Py_INCREF(argv[i]);
        PyTuple_SET_ITEM(args, i - 1, argv[i]);
    }
    if (nkw) {
        kw = PyDict_New();
        if (kw == NULL) {
            Py_DECREF(args);
            return NULL;
        }
        for (i = 0; i < nkw; i++) {
            if (PyDict_SetItem(kw, PyTuple_GET_ITEM(kwnames, i), argv[nargs + i]) < 0) {
                Py_DECREF(args);
                Py_DECREF(kw);
                return NULL;
            }
        }
    }
    return lazy_make((PyTypeObject *)type, argv[0], args, kw);
}

/* The same for subclasses, which the interpreter calls through tp_new. */
static PyObject *
lazy_new(PyTypeObject *type, PyObject *args, PyObject *kwds)
{
    Py_ssize_t nargs = PyTuple_GET_SIZE(args);
    PyObject *rest, *kw = NULL;

    if (nargs < 1) {
        return lazy_missing_func();
    }
    rest = PyTuple_GetSlice(args, 1, nargs);
    if (rest == NULL) {
        return NULL;
    }
    if (kwds != NULL && PyDict_GET_SIZE(kwds)) {
        kw = PyDict_Copy(kwds);
        if (kw == NULL) {
            Py_DECREF(rest);
            return NULL;
        }
    }
    return lazy_make(type, PyTuple_GET_ITEM(args, 0), rest, kw);
}

static int
lazy_traverse(LazyObject *self, visitproc visit, void *arg)
{
    Py_VISIT(self->func);
    Py_VISIT(self->args);
    Py_VISIT(self->kw);
    Py_VISIT(self->dict);
    return 0;
}

static int
lazy_clear(LazyObject *self)
{
    Py_CLEAR(self->func);
    Py_CLEAR(self->args);
    Py_CLEAR(self->kw);
    Py_CLEAR(self->dict);
    return 0;
}

static void
lazy_dealloc(LazyObject *self)
{
    PyObject_GC_UnTrack(self);
    /* The trashcan bounds the C stack: a LazyString of a LazyString of ... a million deep
       is freed without recursing a million times. */
    Py_TRASHCAN_BEGIN(self, lazy_dealloc)
    if (self->weakreflist != NULL) {
        PyObject_ClearWeakRefs((PyObject *)self);
    }
    lazy_clear(self);
    Py_TYPE(self)->tp_free((PyObject *)self);
    Py_TRASHCAN_END
}

/* func(*self.args, *args, **self.kw, **kwargs), as functools.partial calls. */
static PyObject *
lazy_call(LazyObject *self, PyObject *args, PyObject *kwargs)
{
    PyObject *func, *all_args, *all_kw, *result;

    if (self->func == NULL) {
        PyErr_SetString(PyExc_ValueError, "this LazyString has been cleared");
        return NULL;
    }
    if (PyTuple_GET_SIZE(args) == 0) {
        Py_INCREF(self->args);
        all_args = self->args;
    }
    else {
        all_args = PySequence_Concat(self->args, args);
        if (all_args == NULL) {
            return NULL;
        }
    }
    if (kwargs == NULL || PyDict_GET_SIZE(kwargs) == 0) {
        /* A copy, as functools.partial passes: a callee written in C could change it. */
        all_kw = self->kw == NULL || PyDict_GET_SIZE(self->kw) == 0 ? NULL : PyDict_Copy(self->kw);
        if (all_kw == NULL && PyErr_Occurred()) {
            Py_DECREF(all_args);
            return NULL;
        }
    }
    else if (self->kw == NULL) {
        Py_INCREF(kwargs);
        all_kw = kwargs;
    }
    else {
        all_kw = PyDict_Copy(self->kw);
        if (all_kw == NULL || PyDict_Update(all_kw, kwargs) < 0) {
            Py_DECREF(all_args);
            Py_XDECREF(all_kw);
            return NULL;
        }
    }
    func = self->func;
    Py_INCREF(func);
    result = PyObject_Call(func, all_args, all_kw);
    Py_DECREF(func);
    Py_DECREF(all_args);
    Py_XDECREF(all_kw);
    return result;
}

static PyObject *
lazy_str(LazyObject *self)
{
    PyObject *empty, *result, *text;

    empty = PyTuple_New(0);
    if (empty == NULL) {
        return NULL;
    }
    result = lazy_call(self, empty, NULL);
    Py_DECREF(empty);
    if (result == NULL) {
        return NULL;
    }
    text = PyObject_Str(result);
    Py_DECREF(result);
    return text;
}

static PyObject *
lazy_repr(LazyObject *self)
{
    PyObject *text;

    if (self->func == NULL) {
        return PyUnicode_FromString("LazyString(<cleared>)");
    }
    if (Py_ReprEnter((PyObject *)self) != 0) {
        return PyUnicode_FromString("LazyString(...)");
    }
    text = PyUnicode_FromFormat("LazyString(%R)", self->func);
    Py_ReprLeave((PyObject *)self);
    return text;
}

static PyObject *
lazy_get_keywords(LazyObject *self, void *closure)
{
    if (self->kw == NULL) {
        self->kw = PyDict_New();
        if (self->kw == NULL) {
            return NULL;
        }
    }
    Py_INCREF(self->kw);
    return self->kw;
}

/* Pickled as logdial._lazy._rebuild(func, args, keywords, cls, state), as the pure-Python
   type is, so that a pickle made by either is read by either; cls is None for
   LazyString itself (read back as whichever type LazyString is there), state None for an
   empty __dict__. */
static PyObject *
lazy_reduce(LazyObject *self, PyObject *unused)
{
    PyObject *module, *rebuild, *kw, *cls, *state;

    if (self->func == NULL) {
        PyErr_SetString(PyExc_ValueError, "this LazyString has been cleared");
        return NULL;
    }
    module = PyImport_ImportModule("logdial._lazy");
    if (module == NULL) {
        return NULL;
    }
    rebuild = PyObject_GetAttrString(module, "_rebuild");
    Py_DECREF(module);
    if (rebuild == NULL) {
        return NULL;
    }
    kw = self->kw == NULL ? PyDict_New() : PyDict_Copy(self->kw);
    if (kw == NULL) {
        Py_DECREF(rebuild);
        return NULL;
    }
    cls = Py_TYPE(self) == &LazyType ? Py_None : (PyObject *)Py_TYPE(self);
    state = self->dict != NULL && PyDict_GET_SIZE(self->dict) ? self->dict : Py_None;
    return Py_BuildValue("N(OONOO)", rebuild, self->func, self->args, kw, cls, state);
}

static PyMemberDef lazy_members[] = {
    {"func", T_OBJECT, offsetof(LazyObject, func), READONLY, "The callable that makes the text."},
    {"args", T_OBJECT, offsetof(LazyObject, args), READONLY, "The positional arguments it is called with."},
    {NULL},
};

static PyGetSetDef lazy_getset[] = {
    {"keywords", (getter)lazy_get_keywords, NULL, "The keyword arguments it is called with.", NULL},
    {"__dict__", PyObject_GenericGetDict, PyObject_GenericSetDict, NULL, NULL},
    {NULL},
};

static PyMethodDef lazy_methods[] = {
    {"__reduce__", (PyCFunction)lazy_reduce, METH_NOARGS, NULL},
    {"__class_getitem__", Py_GenericAlias, METH_O | METH_CLASS, "LazyString[T], as functools.partial[T]."},
    {NULL},
};

PyDoc_STRVAR(lazy_doc,
"LazyString(func, /, *args, **kwargs)\n--\n\n"
"A log argument whose text is computed only if a record is actually formatted:\n"
"``str()`` returns ``str(func(*args, **kwargs))``, each time it is called.\n\n"
"Written in C (``logdial._speedups``) where the wheel was built with a compiler, so that\n"
"building one for a call that turns out to be disabled costs less than the call; else\n"
"the same type written in Python. Like ``functools.partial`` it keeps ``func``, ``args``\n"
"and ``keywords``, can be called (with more arguments), pickled and subclassed.");

static PyTypeObject LazyType = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "logdial.LazyString",
    .tp_basicsize = sizeof(LazyObject),
    .tp_dealloc = (destructor)lazy_dealloc,
    .tp_repr = (reprfunc)lazy_repr,
    .tp_call = (ternaryfunc)lazy_call,
    .tp_str = (reprfunc)lazy_str,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = lazy_doc,
    .tp_traverse = (traverseproc)lazy_traverse,
    .tp_clear = (inquiry)lazy_clear,
    .tp_methods = lazy_methods,
    .tp_members = lazy_members,
    .tp_getset = lazy_getset,
    .tp_dictoffset = offsetof(LazyObject, dict),
    .tp_weaklistoffset = offsetof(LazyObject, weakreflist),
    .tp_new = lazy_new,
    .tp_free = PyObject_GC_Del,
    .tp_vectorcall = lazy_vectorcall,
};

static struct PyModuleDef speedups_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "logdial._speedups",
    .m_doc = "LazyString written in C (optional: logdial._lazy has the same in Python).",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit__speedups(void)
{
    PyObject *module;

    if (PyType_Ready(&LazyType) < 0) {
        return NULL;
    }
    module = PyModule_Create(&speedups_module);
    if (module == NULL) {
        return NULL;
    }
    Py_INCREF(&LazyType);
    if (PyModule_AddObject(module, "LazyString", (PyObject *)&LazyType) < 0) {
        Py_DECREF(&LazyType);
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
